//! Chameneos (Savina 6): `creatures` chameneos ask one mall to meet; the mall pairs them two by
//! two until `meetings` meetings happened, then tells each that asks to leave, and each leaving
//! chameneo reports how many meetings it had. Many-to-one contention on the mall's mailbox.
//! The answer: the meetings reported, twice the meetings held.

use super::{Outcome, Peer, Runtimes, Scale, Workload, check};

mod actix;
mod courier;
mod kameo;
mod ractor;
mod threads;

/// The workload.
pub(crate) const WORKLOAD: Workload = Workload {
    name: "chameneos",
    stresses: "many actors contending for one broker",
    peers: &Peer::ALL,
    run,
};

/// Chameneos and meetings.
#[derive(Clone, Copy)]
struct Size {
    creatures: usize,
    meetings: u64,
}

fn size(scale: Scale) -> Size {
    match scale {
        Scale::Test => Size {
            creatures: 10,
            meetings: 1_000,
        },
        Scale::Quick => Size {
            creatures: 100,
            meetings: 20_000,
        },
        Scale::Full => Size {
            creatures: 100,
            meetings: 200_000,
        },
    }
}

/// One of three colours.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Colour(u8);

impl Colour {
    fn of(index: usize) -> Colour {
        Colour(u8::try_from(index % 3).expect("below 3"))
    }

    /// The colour two chameneos both take after meeting.
    fn complement(self, other: Colour) -> Colour {
        if self == other {
            self
        } else {
            Colour(3 - self.0 - other.0)
        }
    }
}

/// The mall's pairing rule, the same on every runtime.
struct Mall {
    waiting: Option<(usize, Colour)>,
    meetings_left: u64,
    creatures_left: usize,
    reported: u64,
}

/// What the mall does with a request to meet.
enum Pairing {
    /// The requester waits for a partner.
    Wait,
    /// Tell the waiting chameneo (index) that it meets the requester.
    Meet(usize),
    /// No meetings left: tell the requester to leave.
    Leave,
}

impl Mall {
    fn new(size: Size) -> Self {
        Mall {
            waiting: None,
            meetings_left: size.meetings,
            creatures_left: size.creatures,
            reported: 0,
        }
    }

    fn request(&mut self, from: usize, colour: Colour) -> Pairing {
        if self.meetings_left == 0 {
            return Pairing::Leave;
        }
        match self.waiting.take() {
            None => {
                self.waiting = Some((from, colour));
                Pairing::Wait
            }
            Some((waiting, _)) => {
                self.meetings_left -= 1;
                Pairing::Meet(waiting)
            }
        }
    }

    /// A chameneo left after `meetings`; the total once every chameneo has left.
    fn left(&mut self, meetings: u64) -> Option<u64> {
        self.reported += meetings;
        self.creatures_left -= 1;
        (self.creatures_left == 0).then_some(self.reported)
    }
}

fn run(runtimes: &Runtimes, peer: Peer, scale: Scale) -> anyhow::Result<Outcome> {
    let size = size(scale);
    let reported = match peer {
        Peer::Courier => courier::run(&runtimes.courier, size)?,
        Peer::Actix => actix::run(&runtimes.actix, size)?,
        Peer::Ractor => ractor::run(&runtimes.tokio, size)?,
        Peer::Kameo => kameo::run(&runtimes.tokio, size)?,
        Peer::Threads => threads::run(size)?,
    };
    check(WORKLOAD.name, peer, 2 * size.meetings, reported)?;
    // Per meeting: two requests, the mall's forward, one change; then a request, a leave and
    // a report per chameneo.
    Ok(Outcome {
        messages: 4 * size.meetings + 3 * size.creatures as u64,
    })
}
