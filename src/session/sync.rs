//! The synchronisation primitives of the reading role and of the reply slots: parking_lot
//! and std in every build, loom's models under `--cfg loom`, so that the model check of the
//! hand-off (`reader::model`) runs the shipped code.
//!
//! Loom does not model time. Under it, a wait with a deadline (`wait_until`: a request's
//! deadline) never times out, so a lost wake-up shows as a deadlock; a short park
//! (`wait_for`: the lending I/O thread's 1–8 ms) times out once the other threads have
//! moved (a yield), or earlier when notified.

#[cfg(not(loom))]
pub(crate) use parking_lot::{Condvar, Mutex};
#[cfg(not(loom))]
pub(crate) use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize};
#[cfg(not(loom))]
pub(crate) use std::sync::Arc;
#[cfg(not(loom))]
pub(crate) use std::thread_local;

#[cfg(loom)]
pub(crate) use loom::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize};
#[cfg(loom)]
pub(crate) use loom::sync::Arc;
#[cfg(loom)]
pub(crate) use loom::thread_local;
#[cfg(loom)]
pub(crate) use modeled::{Condvar, Mutex};

#[cfg(loom)]
mod modeled {
    use std::ops::{Deref, DerefMut};
    use std::time::{Duration, Instant};

    /// parking_lot's mutex API over loom's mutex.
    pub(crate) struct Mutex<T>(loom::sync::Mutex<T>);

    pub(crate) struct MutexGuard<'a, T> {
        mutex: &'a loom::sync::Mutex<T>,
        guard: Option<loom::sync::MutexGuard<'a, T>>,
    }

    impl<T> Mutex<T> {
        pub(crate) fn new(v: T) -> Mutex<T> {
            Mutex(loom::sync::Mutex::new(v))
        }

        pub(crate) fn lock(&self) -> MutexGuard<'_, T> {
            MutexGuard {
                mutex: &self.0,
                guard: Some(self.0.lock().unwrap()),
            }
        }

        pub(crate) fn try_lock(&self) -> Option<MutexGuard<'_, T>> {
            self.0.try_lock().ok().map(|g| MutexGuard {
                mutex: &self.0,
                guard: Some(g),
            })
        }
    }

    impl<T> Deref for MutexGuard<'_, T> {
        type Target = T;
        fn deref(&self) -> &T {
            self.guard.as_ref().expect("held")
        }
    }

    impl<T> DerefMut for MutexGuard<'_, T> {
        fn deref_mut(&mut self) -> &mut T {
            self.guard.as_mut().expect("held")
        }
    }

    pub(crate) struct WaitTimeoutResult(bool);

    impl WaitTimeoutResult {
        pub(crate) fn timed_out(&self) -> bool {
            self.0
        }
    }

    pub(crate) struct Condvar(loom::sync::Condvar);

    impl Condvar {
        pub(crate) fn new() -> Condvar {
            Condvar(loom::sync::Condvar::new())
        }

        pub(crate) fn notify_one(&self) -> bool {
            self.0.notify_one();
            true
        }

        fn wait<T>(&self, g: &mut MutexGuard<'_, T>) {
            let inner = g.guard.take().expect("held");
            g.guard = Some(self.0.wait(inner).unwrap());
        }

        /// A deadline never comes: waits for a notification.
        pub(crate) fn wait_until<T>(
            &self,
            g: &mut MutexGuard<'_, T>,
            _deadline: Instant,
        ) -> WaitTimeoutResult {
            self.wait(g);
            WaitTimeoutResult(false)
        }

        /// A short park: times out once the other threads have moved. A notification
        /// meanwhile is in the state the caller looks at after it returns.
        pub(crate) fn wait_for<T>(
            &self,
            g: &mut MutexGuard<'_, T>,
            _d: Duration,
        ) -> WaitTimeoutResult {
            drop(g.guard.take());
            loom::thread::yield_now();
            g.guard = Some(g.mutex.lock().unwrap());
            WaitTimeoutResult(true)
        }
    }
}
