//! A socket that fails when it makes no progress for a while.
//!
//! The timer runs while a read or a write waits and restarts whenever bytes
//! move in either direction, so a long request that keeps sending or keeps
//! receiving (a slow UploadPart body, a big GET, the whitespace S3 trickles
//! while a CopyObject or UploadPartCopy runs) is never cut, and a server that
//! accepted a request and went silent is. A whole-request deadline (the SDK's
//! `read_timeout` is one, up to the response headers) would cut the first
//! kind; tokio-io-timeout times reads and writes apart, so a request written
//! on a connection that sat idle in the pool would inherit the idle time.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use hyper::rt::{Read, ReadBufCursor, Write};
use hyper_util::client::legacy::connect::{Connected, Connection};
use tokio::time::{Instant, Sleep};

pub struct IdleTimeout<T> {
    inner: T,
    timeout: Duration,
    sleep: Pin<Box<Sleep>>,
    /// The timer is running (something waits and nothing moved since).
    armed: bool,
    /// Connected through a forward proxy (requests go in absolute form).
    forward_proxy: bool,
}

impl<T> IdleTimeout<T> {
    pub fn new(inner: T, timeout: Duration, forward_proxy: bool) -> IdleTimeout<T> {
        IdleTimeout {
            inner,
            timeout,
            sleep: Box::pin(tokio::time::sleep(timeout)),
            armed: false,
            forward_proxy,
        }
    }

    /// Called with the inner result: progress disarms, waiting arms (once)
    /// and fails when the timer runs out. Only moved bytes are progress: a
    /// flush or an empty write that completes says nothing about the peer,
    /// and hyper flushes on every wake while it waits for a response.
    fn watch<R>(
        &mut self,
        cx: &mut Context<'_>,
        polled: Poll<io::Result<R>>,
        moved: impl FnOnce(&io::Result<R>) -> bool,
    ) -> Poll<io::Result<R>> {
        match polled {
            Poll::Ready(r) => {
                if moved(&r) {
                    self.armed = false;
                }
                Poll::Ready(r)
            }
            Poll::Pending => {
                if !self.armed {
                    self.sleep.as_mut().reset(Instant::now() + self.timeout);
                    self.armed = true;
                }
                match self.sleep.as_mut().poll(cx) {
                    Poll::Ready(()) => Poll::Ready(Err(io::Error::new(
                        io::ErrorKind::TimedOut,
                        format!(
                            "read timeout: no data moved for {}s",
                            self.timeout.as_secs_f64()
                        ),
                    ))),
                    Poll::Pending => Poll::Pending,
                }
            }
        }
    }
}

impl<T: Read + Unpin> Read for IdleTimeout<T> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: ReadBufCursor<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let polled = Pin::new(&mut this.inner).poll_read(cx, buf);
        // Ready is data, the end of the stream or an error: all final.
        this.watch(cx, polled, |_| true)
    }
}

impl<T: Write + Unpin> Write for IdleTimeout<T> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let polled = Pin::new(&mut this.inner).poll_write(cx, buf);
        this.watch(cx, polled, wrote)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let polled = Pin::new(&mut this.inner).poll_write_vectored(cx, bufs);
        this.watch(cx, polled, wrote)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let polled = Pin::new(&mut this.inner).poll_flush(cx);
        this.watch(cx, polled, |_| false)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let polled = Pin::new(&mut this.inner).poll_shutdown(cx);
        this.watch(cx, polled, |_| false)
    }
}

fn wrote(r: &io::Result<usize>) -> bool {
    !matches!(r, Ok(0))
}

impl<T: Connection> Connection for IdleTimeout<T> {
    fn connected(&self) -> Connected {
        self.inner.connected().proxy(self.forward_proxy)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hyper_util::rt::TokioIo;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    #[tokio::test]
    async fn silence_fails_and_trickled_bytes_do_not() {
        let (client, mut server) = tokio::io::duplex(64);
        let timeout = Duration::from_millis(1500);
        let mut idle = TokioIo::new(IdleTimeout::new(TokioIo::new(client), timeout, false));
        let mut buf = [0u8; 8];
        // A byte every 100 ms for three times the timeout keeps it alive.
        let trickle = tokio::spawn(async move {
            for _ in 0..45 {
                tokio::time::sleep(Duration::from_millis(100)).await;
                server.write_all(b" ").await.ok();
            }
            server
        });
        let mut got = 0;
        while got < 45 {
            got += idle
                .read(&mut buf)
                .await
                .expect("trickled bytes keep it alive");
        }
        let _server = trickle.await.ok();
        // Then nothing: the next read fails.
        let err = idle.read(&mut buf).await.err().map(|e| e.kind());
        assert_eq!(err, Some(io::ErrorKind::TimedOut));
    }

    /// hyper waits for a response by polling a read and flushing on every
    /// wake; the flushes that complete must not restart the timer.
    #[tokio::test]
    async fn flushes_while_waiting_do_not_keep_a_silent_peer_alive() {
        let (client, _server) = tokio::io::duplex(64);
        let timeout = Duration::from_millis(500);
        let mut idle = TokioIo::new(IdleTimeout::new(TokioIo::new(client), timeout, false));
        let mut buf = [0u8; 8];
        let started = Instant::now();
        let err = loop {
            tokio::select! {
                r = idle.read(&mut buf) => break r.err().map(|e| e.kind()),
                _ = tokio::time::sleep(Duration::from_millis(50)) => {
                    idle.flush().await.expect("flush");
                }
            }
            assert!(started.elapsed() < timeout * 10, "the timer never ran out");
        };
        assert_eq!(err, Some(io::ErrorKind::TimedOut));
    }
}
