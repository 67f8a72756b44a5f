//! Newline-delimited framing with a maximum message size.
//!
//! A line longer than the maximum is never held in memory: the reader discards bytes up to the
//! next newline and reports [`Frame::Oversized`], so the server can answer it and go on.

#[cfg(test)]
mod tests;

use std::io::{self, BufRead, BufReader, ErrorKind, Read};

/// One unit read from the stream.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Frame {
    /// A line without its `\n` (and without a trailing `\r`).
    Line(Vec<u8>),
    /// A line longer than the maximum; its bytes were discarded.
    Oversized,
    /// The stream ended.
    Eof,
}

/// Reads newline-delimited frames of at most `size_max_bytes` bytes.
#[derive(Debug)]
pub(crate) struct LineReader<R> {
    inner: BufReader<R>,
    size_max_bytes: usize,
}

impl<R: Read> LineReader<R> {
    pub(crate) fn new(inner: R, size_max_bytes: usize) -> Self {
        Self {
            inner: BufReader::with_capacity(64 * 1024, inner),
            size_max_bytes,
        }
    }

    /// Whether a whole line is buffered, so that [`next_frame`](Self::next_frame) returns it
    /// without reading (and so without blocking).
    pub(crate) fn has_buffered_line(&self) -> bool {
        self.inner.buffer().contains(&b'\n')
    }

    /// The next frame. A last line without a newline before EOF still counts as a line.
    pub(crate) fn next_frame(&mut self) -> io::Result<Frame> {
        let mut line = Vec::new();
        loop {
            let available = match self.inner.fill_buf() {
                Ok(available) => available,
                Err(error) if error.kind() == ErrorKind::Interrupted => continue,
                Err(error) => return Err(error),
            };
            if available.is_empty() {
                return Ok(if line.is_empty() {
                    Frame::Eof
                } else {
                    Frame::Line(trim_cr(line))
                });
            }
            let (chunk_len, found) = match available.iter().position(|&byte| byte == b'\n') {
                Some(end) => (end, true),
                None => (available.len(), false),
            };
            if line.len() + chunk_len > self.size_max_bytes {
                // Too long: drop what we have and everything up to the next newline.
                drop(line);
                self.inner.consume(chunk_len + usize::from(found));
                if !found {
                    self.discard_through_newline()?;
                }
                return Ok(Frame::Oversized);
            }
            line.extend_from_slice(&available[..chunk_len]);
            self.inner.consume(chunk_len + usize::from(found));
            if found {
                return Ok(Frame::Line(trim_cr(line)));
            }
        }
    }

    fn discard_through_newline(&mut self) -> io::Result<()> {
        loop {
            let available = match self.inner.fill_buf() {
                Ok(available) => available,
                Err(error) if error.kind() == ErrorKind::Interrupted => continue,
                Err(error) => return Err(error),
            };
            if available.is_empty() {
                return Ok(());
            }
            if let Some(end) = available.iter().position(|&byte| byte == b'\n') {
                self.inner.consume(end + 1);
                return Ok(());
            }
            let len = available.len();
            self.inner.consume(len);
        }
    }
}

fn trim_cr(mut line: Vec<u8>) -> Vec<u8> {
    if line.last() == Some(&b'\r') {
        line.pop();
    }
    line
}
