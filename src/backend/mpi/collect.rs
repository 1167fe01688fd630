//! The launcher's output, read on a thread of its own so that it can never
//! block the launcher, each line handed to the launch's progress as it
//! arrives.

use std::io::Read;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::record::LaunchProgress;
use crate::os::signal_safe as sys;

/// The most of the launcher's output kept, each stream: rank 0's line for
/// 65,536 ranks is about 20 MiB.
const MAX_OUTPUT_BYTES: u64 = 32 << 20;

/// A pipe read to its end (at most [`MAX_OUTPUT_BYTES`] kept) on a thread
/// of its own, each line handed to the launch's progress as it arrives.
pub(super) struct Collected(std::sync::mpsc::Receiver<Vec<u8>>);

/// How long a pipe may stay open after the supervisor ended (something
/// outside its group holds it).
const PIPE_GRACE: Duration = Duration::from_secs(2);

pub(super) fn collect<R: Read + Send + 'static>(
    pipe: Option<R>,
    progress: Arc<Mutex<LaunchProgress>>,
) -> Collected {
    let (sender, receiver) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut bytes = Vec::new();
        // Where the line being read starts: each byte is looked at once.
        let mut line_start = 0;
        if let Some(mut pipe) = pipe {
            let mut buffer = [0u8; 64 * 1024];
            loop {
                match pipe.read(&mut buffer) {
                    Ok(0) => break,
                    Ok(n) => {
                        let room = (MAX_OUTPUT_BYTES as usize).saturating_sub(bytes.len());
                        let from = bytes.len();
                        bytes.extend_from_slice(&buffer[..n.min(room)]);
                        for end in (from..bytes.len()).filter(|&i| bytes[i] == b'\n') {
                            if let Ok(mut progress) = progress.lock() {
                                progress.read_line(&bytes[line_start..end], sys::monotonic_ns());
                            }
                            line_start = end + 1;
                        }
                    }
                    Err(err) if err.kind() == std::io::ErrorKind::Interrupted => {}
                    Err(_) => break,
                }
            }
        }
        let _ = sender.send(bytes);
    });
    Collected(receiver)
}

impl Collected {
    pub(super) fn finish(self) -> Vec<u8> {
        self.0.recv_timeout(PIPE_GRACE).unwrap_or_default()
    }
}
