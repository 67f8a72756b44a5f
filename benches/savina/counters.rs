//! Counters around one run of a workload, through perf-event2: hardware counters
//! (instructions, cycles, cache misses) where the machine has a PMU, else the kernel's software
//! context-switch count (how often a thread was put to sleep or preempted: the cost of parking
//! and waking), else none, and the report says which (`research/lowlevel.md` §3: these VMs have
//! no PMU). The software CPU clock is no fallback: counted per CPU it is wall time, idle
//! included.
//!
//! The runtimes run their actors on worker threads that outlive a run, so counting this thread
//! (or its children, whose counts only arrive when they exit) would miss the work: the counters
//! count every CPU, user space only, like `perf stat -a`. That needs root or
//! `perf_event_paranoid` <= 0, and it includes whatever else the machine runs meanwhile.

use std::fmt;

use perf_event::events::{Hardware, Software};
use perf_event::{Builder, Counter};

/// Where the numbers come from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Source {
    /// The PMU: instructions, cycles, cache misses.
    Hardware,
    /// No usable PMU (the reason); the kernel's context-switch count instead.
    Software(String),
    /// No counters at all (the reason).
    Unavailable(String),
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::Hardware => f.write_str("hardware counters (PMU), all CPUs"),
            Source::Software(why) => {
                write!(
                    f,
                    "software context switches, all CPUs; no hardware counters: {why}"
                )
            }
            Source::Unavailable(why) => write!(f, "no counters: {why}"),
        }
    }
}

/// Open counters, one per event and CPU.
pub(crate) struct Counters {
    source: Source,
    events: Vec<(&'static str, Vec<Counter>)>,
}

impl fmt::Debug for Counters {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Counters")
            .field("source", &self.source)
            .finish_non_exhaustive()
    }
}

/// The online CPUs (`/sys/devices/system/cpu/online`, e.g. `0-3,5`), else `0..parallelism`.
fn online_cpus() -> Vec<usize> {
    let parse = |text: &str| -> Option<Vec<usize>> {
        let mut cpus = Vec::new();
        for part in text.trim().split(',') {
            match part.split_once('-') {
                Some((first, last)) => {
                    cpus.extend(first.parse::<usize>().ok()?..=last.parse().ok()?);
                }
                None => cpus.push(part.parse().ok()?),
            }
        }
        Some(cpus)
    };
    std::fs::read_to_string("/sys/devices/system/cpu/online")
        .ok()
        .and_then(|text| parse(&text))
        .unwrap_or_else(|| {
            (0..std::thread::available_parallelism().map_or(1, usize::from)).collect()
        })
}

/// Why an event could not be opened, in words.
fn reason(error: &std::io::Error) -> String {
    // ENOENT, ENODEV, EOPNOTSUPP: the event does not exist here; EACCES, EPERM: not allowed.
    match error.raw_os_error() {
        Some(2 | 19 | 95) => format!("no PMU ({error})"),
        Some(1 | 13) => format!("not permitted: needs root or perf_event_paranoid <= 0 ({error})"),
        _ => error.to_string(),
    }
}

fn open_on_all(
    name: &'static str,
    builder: impl Fn() -> Builder<'static>,
    cpus: &[usize],
) -> std::io::Result<(&'static str, Vec<Counter>)> {
    let counters = cpus
        .iter()
        .map(|&cpu| builder().any_pid().one_cpu(cpu).build())
        .collect::<std::io::Result<Vec<Counter>>>()?;
    Ok((name, counters))
}

impl Counters {
    /// Opens the best counters this machine allows, saying which on stderr.
    pub(crate) fn open() -> Counters {
        let cpus = online_cpus();
        let hardware = [
            ("instructions", Hardware::INSTRUCTIONS),
            ("cycles", Hardware::CPU_CYCLES),
            ("cache misses", Hardware::CACHE_MISSES),
        ]
        .into_iter()
        .map(|(name, event)| open_on_all(name, move || Builder::new(event), &cpus))
        .collect::<std::io::Result<Vec<_>>>();
        let counters = match hardware {
            Ok(events) => Counters {
                source: Source::Hardware,
                events,
            },
            Err(error) => {
                let why = reason(&error);
                // A context switch happens in the kernel: count kernel space too.
                let switches = || {
                    let mut builder = Builder::new(Software::CONTEXT_SWITCHES);
                    builder.exclude_kernel(false);
                    builder
                };
                match open_on_all("context switches", switches, &cpus) {
                    Ok(event) => Counters {
                        source: Source::Software(why),
                        events: vec![event],
                    },
                    Err(error) => Counters {
                        source: Source::Unavailable(format!("{why}; software: {}", reason(&error))),
                        events: Vec::new(),
                    },
                }
            }
        };
        eprintln!("savina_time: counters: {}", counters.source);
        counters
    }

    /// Where the numbers come from.
    pub(crate) fn source(&self) -> &Source {
        &self.source
    }

    /// Runs `run` with the counters on; each event's count over all CPUs (none when no
    /// counters, or when one could not be read).
    pub(crate) fn measure<T>(&mut self, run: impl FnOnce() -> T) -> (T, Vec<(&'static str, u64)>) {
        let mut toggle = |on: bool| {
            for counter in self
                .events
                .iter_mut()
                .flat_map(|(_, counters)| counters.iter_mut())
            {
                let result = if on {
                    counter.reset().and_then(|()| counter.enable())
                } else {
                    counter.disable()
                };
                if let Err(error) = result {
                    eprintln!("savina_time: counters: {error}");
                }
            }
        };
        toggle(true);
        let value = run();
        toggle(false);
        let counts = self
            .events
            .iter_mut()
            .filter_map(|(name, counters)| {
                let total: std::io::Result<u64> = counters.iter_mut().map(Counter::read).sum();
                total.ok().map(|total| (*name, total))
            })
            .collect();
        (value, counts)
    }
}
