//! The evaluator's saved state as rows of `risk_state_chunks`: its binary form
//! (`jinka_risk::RiskEvaluator::write_state`) cut in chunks of [`STATE_CHUNK_BYTES`], written
//! and read one chunk at a time, so a save or a load holds one chunk beside the evaluator
//! rather than the whole state (160 MB at a million cards) and its copies.

use std::io::{self, Read, Write};

use crate::clock::EpochMs;
use crate::error::HubError;
use crate::risk::storage::RiskStorage;

/// The most bytes of one chunk (1 MiB): small beside the evaluator, large enough that a
/// million cards' state is a few hundred rows.
pub(crate) const STATE_CHUNK_BYTES: usize = 1 << 20;

/// An [`io::Write`] that stores what it is given as chunks, in order from chunk 0.
pub(crate) struct ChunkWriter<'a> {
    risk: &'a mut dyn RiskStorage,
    now: EpochMs,
    buffer: Vec<u8>,
    next: u32,
    /// The storage error that stopped the writing, for the caller to return as it is.
    failure: Option<HubError>,
}

impl<'a> ChunkWriter<'a> {
    pub(crate) fn new(risk: &'a mut dyn RiskStorage, now: EpochMs) -> ChunkWriter<'a> {
        ChunkWriter {
            risk,
            now,
            buffer: Vec::with_capacity(STATE_CHUNK_BYTES),
            next: 0,
            failure: None,
        }
    }

    fn store_buffer(&mut self) -> io::Result<()> {
        if self.buffer.is_empty() {
            return Ok(());
        }
        let stored = self.risk.put_state_chunk(self.next, &self.buffer, self.now);
        if let Err(error) = stored {
            self.failure = Some(error);
            return Err(io::Error::other("storing a risk state chunk failed"));
        }
        self.buffer.clear();
        self.next = self
            .next
            .checked_add(1)
            .ok_or_else(|| io::Error::other("too many risk state chunks"))?;
        Ok(())
    }

    /// Stores the last chunk and deletes what an earlier, larger save left (and the JSON
    /// state of older hubs). `written` is what writing the state gave.
    pub(crate) fn finish(mut self, written: io::Result<()>) -> Result<(), HubError> {
        let written = written.and_then(|()| self.store_buffer());
        if let Some(failure) = self.failure.take() {
            return Err(failure);
        }
        written.map_err(|error| HubError::corrupt(format!("risk state: {error}")))?;
        self.risk.end_state_chunks(self.next)
    }
}

impl Write for ChunkWriter<'_> {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        if self.buffer.len() >= STATE_CHUNK_BYTES {
            self.store_buffer()?;
        }
        let room = STATE_CHUNK_BYTES - self.buffer.len();
        let taken = bytes.len().min(room);
        self.buffer.extend_from_slice(&bytes[..taken]);
        Ok(taken)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// An [`io::Read`] over the stored chunks, in order from chunk 0, until one is missing.
pub(crate) struct ChunkReader<'a> {
    risk: &'a mut dyn RiskStorage,
    chunk: Vec<u8>,
    at: usize,
    next: u32,
    /// Whether a chunk was missing: the state ended there.
    ended: bool,
    /// The storage error that stopped the reading, for the caller to return as it is.
    failure: Option<HubError>,
}

impl<'a> ChunkReader<'a> {
    pub(crate) fn new(risk: &'a mut dyn RiskStorage) -> ChunkReader<'a> {
        ChunkReader {
            risk,
            chunk: Vec::new(),
            at: 0,
            next: 0,
            ended: false,
            failure: None,
        }
    }

    /// Whether a state is stored: chunk 0 is there (read now, so the reading starts there).
    pub(crate) fn has_state(&mut self) -> Result<bool, HubError> {
        if self.next == 0 {
            self.fetch()?;
        }
        Ok(!self.chunk.is_empty())
    }

    /// The storage error that stopped the reading, if one did.
    pub(crate) fn failure(&mut self) -> Option<HubError> {
        self.failure.take()
    }

    /// Takes the next chunk in; an empty one when there is none.
    fn fetch(&mut self) -> Result<(), HubError> {
        self.at = 0;
        if self.ended {
            self.chunk = Vec::new();
            return Ok(());
        }
        match self.risk.state_chunk(self.next)? {
            Some(chunk) => self.chunk = chunk,
            None => {
                self.chunk = Vec::new();
                self.ended = true;
            }
        }
        self.next = self.next.saturating_add(1);
        Ok(())
    }
}

impl Read for ChunkReader<'_> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if self.at >= self.chunk.len()
            && let Err(error) = self.fetch()
        {
            self.failure = Some(error);
            return Err(io::Error::other("reading a risk state chunk failed"));
        }
        let rest = self.chunk.get(self.at..).unwrap_or_default();
        let taken = rest.len().min(out.len());
        out[..taken].copy_from_slice(&rest[..taken]);
        self.at += taken;
        Ok(taken)
    }
}
