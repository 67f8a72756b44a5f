use std::io::{self, Read};

use super::{Frame, LineReader};

fn frames(input: &[u8], size_max_bytes: usize) -> Vec<Frame> {
    let mut reader = LineReader::new(input, size_max_bytes);
    let mut frames = Vec::new();
    loop {
        let frame = reader.next_frame().unwrap();
        let end = frame == Frame::Eof;
        frames.push(frame);
        if end {
            return frames;
        }
    }
}

#[test]
fn lines_are_split_on_newlines_and_lose_a_trailing_carriage_return() {
    assert_eq!(
        frames(b"{}\r\n[1]\n\nlast", 100),
        [
            Frame::Line(b"{}".to_vec()),
            Frame::Line(b"[1]".to_vec()),
            Frame::Line(Vec::new()),
            Frame::Line(b"last".to_vec()),
            Frame::Eof,
        ]
    );
}

#[test]
fn a_line_at_the_limit_is_kept_and_one_byte_more_is_oversized() {
    assert_eq!(
        frames(b"12345\n123456\nok\n", 5),
        [
            Frame::Line(b"12345".to_vec()),
            Frame::Oversized,
            Frame::Line(b"ok".to_vec()),
            Frame::Eof,
        ]
    );
}

/// A reader that yields `len` bytes of `x` then a newline and a short line, a few bytes per
/// read, and counts how much was read: the oversized line must be streamed through, not stored.
struct Trickle {
    remaining_x: usize,
    tail: &'static [u8],
}

impl Read for Trickle {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.remaining_x > 0 {
            let len = buf.len().min(self.remaining_x).min(4096);
            buf[..len].fill(b'x');
            self.remaining_x -= len;
            return Ok(len);
        }
        let len = buf.len().min(self.tail.len());
        buf[..len].copy_from_slice(&self.tail[..len]);
        self.tail = &self.tail[len..];
        Ok(len)
    }
}

#[test]
fn an_oversized_line_far_larger_than_the_buffer_is_discarded_up_to_its_newline() {
    let mut reader = LineReader::new(
        Trickle {
            remaining_x: 10 * 1024 * 1024,
            tail: b"\n{\"ok\":1}\n",
        },
        1024,
    );
    assert_eq!(reader.next_frame().unwrap(), Frame::Oversized);
    assert_eq!(
        reader.next_frame().unwrap(),
        Frame::Line(b"{\"ok\":1}".to_vec())
    );
    assert_eq!(reader.next_frame().unwrap(), Frame::Eof);
}

#[test]
fn an_oversized_last_line_without_newline_is_reported_then_eof() {
    assert_eq!(frames(b"abcdefgh", 3), [Frame::Oversized, Frame::Eof]);
}
