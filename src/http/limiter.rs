//! An in-process token bucket per client key. Time is passed in (milliseconds from the app's
//! clock), so tests move it by hand; memory is bounded by forgetting idle keys first.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;

/// Who a budget belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Key {
    Ip(IpAddr),
    /// The first 16 bytes of the SHA-256 of a bearer token: no database lookup, no token kept.
    User([u8; 16]),
}

/// A sustained rate and the most that may be spent at once.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rate {
    pub per_minute: u32,
    pub capacity: u32,
}

impl Rate {
    /// Tokens added per millisecond.
    fn per_ms(self) -> f64 {
        f64::from(self.per_minute) / 60_000.0
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Allowed,
    /// Refused; one more request would be allowed after this many whole seconds.
    Limited {
        retry_after_secs: u64,
    },
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    updated_ms: i64,
}

impl Bucket {
    /// Adds what accrued since the last look (never more than the capacity; time going
    /// backwards adds nothing).
    fn refill(&mut self, rate: Rate, now_ms: i64) {
        if now_ms > self.updated_ms {
            let accrued = (now_ms - self.updated_ms) as f64 * rate.per_ms();
            self.tokens = (self.tokens + accrued).min(f64::from(rate.capacity));
            self.updated_ms = now_ms;
        }
    }

    /// Seconds until one token is there (at least 1).
    fn wait_secs(&self, rate: Rate) -> u64 {
        let missing = (1.0 - self.tokens).max(0.0);
        let ms = missing / rate.per_ms();
        ((ms / 1000.0).ceil() as u64).max(1)
    }
}

/// Buckets by key behind one mutex: every operation is O(1) except eviction when full.
#[derive(Debug)]
pub struct Limiter {
    buckets: Mutex<HashMap<Key, Bucket>>,
    max_keys: usize,
    per_ip: Option<Rate>,
    per_user: Option<Rate>,
}

impl Limiter {
    /// `None` for a kind of key turns its limit off.
    pub fn new(per_ip: Option<Rate>, per_user: Option<Rate>, max_keys: usize) -> Self {
        Self {
            buckets: Mutex::new(HashMap::new()),
            max_keys: max_keys.max(1),
            per_ip,
            per_user,
        }
    }

    fn rate(&self, key: &Key) -> Option<Rate> {
        match key {
            Key::Ip(_) => self.per_ip,
            Key::User(_) => self.per_user,
        }
    }

    /// Takes one token from every key's bucket when each has one; otherwise takes nothing and
    /// says how long to wait (the longest wait of the keys that are out).
    pub fn check(&self, keys: &[Key], now_ms: i64) -> Decision {
        let mut buckets = match self.buckets.lock() {
            Ok(b) => b,
            Err(poisoned) => poisoned.into_inner(),
        };
        let mut wait = 0;
        for key in keys {
            let Some(rate) = self.rate(key) else {
                continue;
            };
            if !buckets.contains_key(key) {
                self.make_room(&mut buckets, now_ms);
            }
            let bucket = buckets.entry(*key).or_insert(Bucket {
                tokens: f64::from(rate.capacity),
                updated_ms: now_ms,
            });
            bucket.refill(rate, now_ms);
            if bucket.tokens < 1.0 {
                wait = wait.max(bucket.wait_secs(rate));
            }
        }
        if wait > 0 {
            return Decision::Limited {
                retry_after_secs: wait,
            };
        }
        for key in keys {
            if let Some(bucket) = buckets.get_mut(key) {
                bucket.tokens -= 1.0;
            }
        }
        Decision::Allowed
    }

    /// How many keys are tracked now.
    pub fn len(&self) -> usize {
        self.buckets.lock().map_or(0, |b| b.len())
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Frees space for a new key when the map is full. A bucket refilled to its capacity is
    /// the same as no bucket, so those go first; when every client is active, the least
    /// recently seen quarter goes (an attacker with that many addresses is beyond an
    /// in-process limiter anyway).
    fn make_room(&self, buckets: &mut HashMap<Key, Bucket>, now_ms: i64) {
        if buckets.len() < self.max_keys {
            return;
        }
        buckets.retain(|key, bucket| {
            let Some(rate) = self.rate(key) else {
                return false;
            };
            let mut b = *bucket;
            b.refill(rate, now_ms);
            b.tokens < f64::from(rate.capacity)
        });
        let keep = self.max_keys - self.max_keys.div_ceil(4);
        if buckets.len() > keep {
            let mut seen: Vec<(i64, Key)> =
                buckets.iter().map(|(k, b)| (b.updated_ms, *k)).collect();
            let drop = seen.len() - keep;
            seen.select_nth_unstable_by_key(drop - 1, |(at, _)| *at);
            for (_, key) in &seen[..drop] {
                buckets.remove(key);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const IP: Key = Key::Ip(IpAddr::V4(std::net::Ipv4Addr::LOCALHOST));
    const USER: Key = Key::User([7; 16]);

    fn rate(per_minute: u32, capacity: u32) -> Option<Rate> {
        Some(Rate {
            per_minute,
            capacity,
        })
    }

    #[test]
    fn a_full_bucket_allows_its_capacity_then_refuses() {
        let limiter = Limiter::new(rate(60, 3), None, 10);
        let keys = [IP];
        for _ in 0..3 {
            assert_eq!(limiter.check(&keys, 0), Decision::Allowed);
        }
        assert_eq!(
            limiter.check(&keys, 0),
            Decision::Limited {
                retry_after_secs: 1
            }
        );
    }

    #[test]
    fn tokens_come_back_at_the_configured_rate() {
        let limiter = Limiter::new(rate(2, 1), None, 10);
        let keys = [IP];
        assert_eq!(limiter.check(&keys, 0), Decision::Allowed);
        assert_eq!(
            limiter.check(&keys, 10_000),
            Decision::Limited {
                retry_after_secs: 20
            }
        );
        assert_eq!(limiter.check(&keys, 30_000), Decision::Allowed);
    }

    #[test]
    fn a_refusal_by_one_key_spends_nothing_from_the_other() {
        let limiter = Limiter::new(rate(60, 1), rate(60, 2), 10);
        let user_only = [USER];
        let both = [IP, USER];
        assert_eq!(limiter.check(&both, 0), Decision::Allowed);
        assert!(matches!(limiter.check(&both, 0), Decision::Limited { .. }));
        assert_eq!(limiter.check(&user_only, 0), Decision::Allowed);
        assert!(matches!(
            limiter.check(&user_only, 0),
            Decision::Limited { .. }
        ));
    }

    #[test]
    fn a_kind_of_key_without_a_rate_is_not_limited() {
        let limiter = Limiter::new(rate(60, 1), None, 10);
        for _ in 0..5 {
            assert_eq!(limiter.check(&[USER], 0), Decision::Allowed);
        }
        assert!(limiter.is_empty());
    }

    #[test]
    fn time_going_backwards_adds_nothing() {
        let limiter = Limiter::new(rate(60, 1), None, 10);
        let keys = [IP];
        assert_eq!(limiter.check(&keys, 100_000), Decision::Allowed);
        assert!(matches!(limiter.check(&keys, 0), Decision::Limited { .. }));
    }

    #[test]
    fn idle_keys_are_forgotten_when_the_map_is_full() {
        let limiter = Limiter::new(rate(60, 1), None, 4);
        for i in 0..4u8 {
            let key = Key::Ip(IpAddr::from([10, 0, 0, i]));
            assert_eq!(limiter.check(&[key], 0), Decision::Allowed);
        }
        let newcomer = Key::Ip(IpAddr::from([10, 0, 1, 0]));
        assert_eq!(limiter.check(&[newcomer], 60_000), Decision::Allowed);
        assert_eq!(limiter.len(), 1, "the four refilled buckets were dropped");
    }

    #[test]
    fn the_map_never_grows_past_its_cap_even_when_every_key_is_busy() {
        let limiter = Limiter::new(rate(1, 1), None, 100);
        for i in 0..10_000u32 {
            let key = Key::Ip(IpAddr::from(i.to_be_bytes()));
            limiter.check(&[key], 0);
            assert!(limiter.len() <= 100);
        }
    }

    #[test]
    fn eviction_drops_the_least_recently_seen_busy_keys() {
        let limiter = Limiter::new(rate(1, 1), None, 4);
        let key = |i: u8| Key::Ip(IpAddr::from([10, 0, 0, i]));
        for i in 0..4u8 {
            limiter.check(&[key(i)], i64::from(i));
        }
        limiter.check(&[key(9)], 10);
        assert!(
            matches!(limiter.check(&[key(3)], 10), Decision::Limited { .. }),
            "the most recent busy key is still remembered"
        );
        assert_eq!(
            limiter.check(&[key(0)], 10),
            Decision::Allowed,
            "the oldest was forgotten"
        );
    }
}
