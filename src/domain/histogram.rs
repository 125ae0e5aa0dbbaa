//! Duration histograms for the statistics rollups.
//!
//! Medians and 90th percentiles cannot be added up like counts, and keeping every sample in a
//! rollup would make it as large as the history it summarises. A histogram can be added up and
//! subtracted again (a ticket that changes leaves its old bin), and stays small: 304 bins.
//!
//! Bins are 1 minute wide below 64 minutes, then 16 per doubling (each 1/16 of its octave, so at
//! most 6.25 % of the value wide) up to 2^21 minutes (4 years); the last bin takes the rest. Each
//! bin keeps its count and the exact sum of its samples in nanoseconds, so
//! - the mean of a histogram is exact (the sum of every sample is known);
//! - a percentile takes, for each order statistic it needs, the mean of the bin holding it, and
//!   interpolates like [`percentile`](super::indicators::percentile). It is exact whenever the
//!   samples sharing a bin are equal (durations in whole minutes under an hour, identical
//!   durations), and otherwise off by less than the width of the bins involved.

use std::collections::BTreeMap;

use chrono::TimeDelta;

use super::indicators::{DurationSummary, percentile};

/// How many bins a histogram has.
pub const BINS: u16 = 304;
const NANOS_PER_MINUTE: i64 = 60_000_000_000;
/// Below this many minutes every minute has a bin of its own.
const LINEAR_MINUTES: i64 = 64;
/// log2 of the number of bins per doubling.
const SUB_BITS: u32 = 4;
/// The doubling `[2^k, 2^(k+1))` minutes with the largest `k` that gets bins of its own.
const TOP_OCTAVE: u32 = 20;

/// One bin: how many samples, and their sum in nanoseconds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Bin {
    pub count: i64,
    pub sum_nanos: i128,
}

/// A sparse histogram of durations; bins with no samples are absent.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Histogram {
    bins: BTreeMap<u16, Bin>,
}

/// The bin of a non-negative duration in nanoseconds.
pub fn bin_of(nanos: i64) -> u16 {
    let minutes = nanos.max(0) / NANOS_PER_MINUTE;
    if minutes < LINEAR_MINUTES {
        return minutes as u16;
    }
    let octave = 63 - minutes.leading_zeros();
    if octave > TOP_OCTAVE {
        return BINS - 1;
    }
    let sub = (minutes >> (octave - SUB_BITS)) & ((1 << SUB_BITS) - 1);
    (LINEAR_MINUTES as u32 + (octave - 6) * (1 << SUB_BITS) + sub as u32) as u16
}

/// The lower and upper bound of a bin in minutes (the last bin has no upper bound).
pub fn bin_bounds(bin: u16) -> (f64, f64) {
    let bin = i64::from(bin.min(BINS - 1));
    if bin < LINEAR_MINUTES {
        return (bin as f64, (bin + 1) as f64);
    }
    let offset = bin - LINEAR_MINUTES;
    let octave = 6 + offset / (1 << SUB_BITS);
    let sub = offset % (1 << SUB_BITS);
    let width = 1i64 << (octave - i64::from(SUB_BITS));
    let low = (1i64 << octave) + sub * width;
    let high = if bin == i64::from(BINS) - 1 {
        f64::INFINITY
    } else {
        (low + width) as f64
    };
    (low as f64, high)
}

/// Minutes in `nanos`, computed as [`indicators`](super::indicators) does from two instants, so
/// equal durations give bit-identical minutes on both paths.
pub fn minutes(nanos: i64) -> f64 {
    TimeDelta::nanoseconds(nanos).as_seconds_f64() / 60.0
}

impl Histogram {
    /// Adds one sample (negative durations are not samples and are ignored).
    pub fn record(&mut self, nanos: i64) {
        if nanos < 0 {
            return;
        }
        self.apply(
            bin_of(nanos),
            Bin {
                count: 1,
                sum_nanos: i128::from(nanos),
            },
            1,
        );
    }

    /// Adds (`sign = 1`) or subtracts (`sign = -1`) another histogram.
    pub fn merge(&mut self, other: &Histogram, sign: i64) {
        for (bin, b) in &other.bins {
            self.apply(*bin, *b, sign);
        }
    }

    fn apply(&mut self, bin: u16, b: Bin, sign: i64) {
        let entry = self.bins.entry(bin).or_default();
        entry.count += sign * b.count;
        entry.sum_nanos += i128::from(sign) * b.sum_nanos;
        if entry.count == 0 && entry.sum_nanos == 0 {
            self.bins.remove(&bin);
        }
    }

    pub fn is_empty(&self) -> bool {
        self.bins.is_empty()
    }

    /// Number of samples.
    pub fn count(&self) -> i64 {
        self.bins.values().map(|b| b.count).sum()
    }

    /// True when some bin went below zero: the histogram lost a sample it never had.
    pub fn has_negative(&self) -> bool {
        self.bins.values().any(|b| b.count < 0 || b.sum_nanos < 0)
    }

    /// Mean (exact), median and p90 (see the module docs for their precision), in minutes.
    pub fn summary(&self) -> DurationSummary {
        let count = self.count();
        if count <= 0 || self.has_negative() {
            return DurationSummary::default();
        }
        let total: i128 = self.bins.values().map(|b| b.sum_nanos).sum();
        let mean = (total as f64 / 1e9) / 60.0 / count as f64;
        DurationSummary {
            count: count as u64,
            mean: Some(mean),
            median: self.quantile(0.5, count),
            p90: self.quantile(0.9, count),
        }
    }

    /// The `p`-quantile by linear interpolation between the estimated order statistics.
    fn quantile(&self, p: f64, count: i64) -> Option<f64> {
        let rank = p * (count - 1) as f64;
        let lower = rank.floor() as i64;
        let low = self.order_statistic(lower)?;
        let high = self.order_statistic((lower + 1).min(count - 1))?;
        percentile(&[low, high], rank - lower as f64)
    }

    /// The estimated `k`-th smallest sample (0-based): the mean of the bin holding it.
    fn order_statistic(&self, k: i64) -> Option<f64> {
        let mut seen = 0;
        for b in self.bins.values() {
            seen += b.count;
            if k < seen {
                let mean = b.sum_nanos / i128::from(b.count);
                return Some(minutes(i64::try_from(mean).ok()?));
            }
        }
        None
    }

    /// A compact binary form: entry count, then per bin the gap from the previous bin, the
    /// count and the zig-zagged sum, all as LEB128 varints.
    pub fn encode(&self, out: &mut Vec<u8>) {
        put_varint(out, self.bins.len() as u128);
        let mut previous = 0u16;
        for (bin, b) in &self.bins {
            put_varint(out, u128::from(bin - previous));
            put_varint(out, zigzag(i128::from(b.count)));
            put_varint(out, zigzag(b.sum_nanos));
            previous = *bin;
        }
    }

    /// Reads what [`encode`](Self::encode) wrote; `None` for malformed input.
    pub fn decode(input: &mut &[u8]) -> Option<Histogram> {
        let entries = take_varint(input)?;
        let mut bins = BTreeMap::new();
        let mut bin = 0u16;
        for _ in 0..entries {
            bin = bin.checked_add(u16::try_from(take_varint(input)?).ok()?)?;
            if bin >= BINS {
                return None;
            }
            let count = i64::try_from(unzigzag(take_varint(input)?)).ok()?;
            let sum_nanos = unzigzag(take_varint(input)?);
            bins.insert(bin, Bin { count, sum_nanos });
        }
        Some(Histogram { bins })
    }
}

fn zigzag(v: i128) -> u128 {
    ((v << 1) ^ (v >> 127)) as u128
}

fn unzigzag(v: u128) -> i128 {
    ((v >> 1) as i128) ^ -((v & 1) as i128)
}

fn put_varint(out: &mut Vec<u8>, mut v: u128) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn take_varint(input: &mut &[u8]) -> Option<u128> {
    let mut v = 0u128;
    for shift in (0..128).step_by(7) {
        let (&byte, rest) = input.split_first()?;
        *input = rest;
        v |= u128::from(byte & 0x7f) << shift;
        if byte & 0x80 == 0 {
            return Some(v);
        }
    }
    None
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn mins(m: f64) -> i64 {
        (m * NANOS_PER_MINUTE as f64) as i64
    }

    #[test]
    fn bins_are_a_minute_wide_below_an_hour_then_a_sixteenth_of_an_octave() {
        assert_eq!(bin_of(0), 0);
        assert_eq!(bin_of(mins(63.99)), 63);
        assert_eq!(bin_of(mins(64.0)), 64);
        assert_eq!(bin_of(mins(67.9)), 64);
        assert_eq!(bin_of(mins(68.0)), 65);
        assert_eq!(bin_bounds(65), (68.0, 72.0));
        assert_eq!(bin_of(mins(128.0)), 80);
        assert_eq!(bin_of(i64::MAX), BINS - 1);
        assert_eq!(bin_bounds(BINS - 1).1, f64::INFINITY);
    }

    #[test]
    fn every_duration_lies_inside_its_bin() {
        for m in [
            0.0,
            0.5,
            1.0,
            63.5,
            64.0,
            100.0,
            1000.0,
            50_000.0,
            2_000_000.0,
        ] {
            let (low, high) = bin_bounds(bin_of(mins(m)));
            assert!(low <= m && m < high, "{m} not in [{low}, {high})");
        }
    }

    #[test]
    fn equal_samples_give_exact_percentiles() {
        let mut h = Histogram::default();
        for m in [10, 10, 20, 30, 30, 30, 45] {
            h.record(m * NANOS_PER_MINUTE);
        }
        let exact = [10.0, 10.0, 20.0, 30.0, 30.0, 30.0, 45.0];
        let s = h.summary();
        assert_eq!(s.count, 7);
        assert_eq!(s.median, percentile(&exact, 0.5));
        assert_eq!(s.p90, percentile(&exact, 0.9));
        assert!((s.mean.unwrap() - 175.0 / 7.0).abs() < 1e-12);
    }

    #[test]
    fn subtracting_what_was_added_leaves_nothing() {
        let mut h = Histogram::default();
        h.record(mins(90.5));
        let mut other = Histogram::default();
        other.record(mins(90.5));
        h.merge(&other, -1);
        assert!(h.is_empty());
        h.merge(&other, -1);
        assert!(h.has_negative());
        assert_eq!(h.summary(), DurationSummary::default());
    }

    #[test]
    fn malformed_encodings_are_refused() {
        assert_eq!(Histogram::decode(&mut &[][..]), None);
        assert_eq!(Histogram::decode(&mut &[1, 0xff][..]), None);
        let mut big = Vec::new();
        put_varint(&mut big, 1);
        put_varint(&mut big, u128::from(BINS));
        put_varint(&mut big, 2);
        put_varint(&mut big, 2);
        assert_eq!(Histogram::decode(&mut big.as_slice()), None);
    }

    proptest! {
        #[test]
        fn encoding_round_trips(samples in proptest::collection::vec(0i64..i64::MAX / 4, 0..50)) {
            let mut h = Histogram::default();
            for s in &samples {
                h.record(*s);
            }
            let mut bytes = Vec::new();
            h.encode(&mut bytes);
            h.encode(&mut bytes);
            let mut input = bytes.as_slice();
            prop_assert_eq!(Histogram::decode(&mut input), Some(h.clone()));
            prop_assert_eq!(Histogram::decode(&mut input), Some(h));
            prop_assert!(input.is_empty());
        }

        #[test]
        fn percentiles_stay_within_the_bins_of_the_exact_ones(
            samples in proptest::collection::vec(0i64..(10_000 * NANOS_PER_MINUTE), 1..60),
        ) {
            let mut h = Histogram::default();
            let mut exact: Vec<f64> = samples.iter().map(|s| minutes(*s)).collect();
            exact.sort_by(f64::total_cmp);
            for s in &samples {
                h.record(*s);
            }
            let s = h.summary();
            let mean = exact.iter().sum::<f64>() / exact.len() as f64;
            prop_assert!((s.mean.unwrap() - mean).abs() <= 1e-9 * mean.max(1.0));
            for (p, got) in [(0.5, s.median), (0.9, s.p90)] {
                let want = percentile(&exact, p).unwrap();
                let tolerance = want / 16.0 + 1.0;
                prop_assert!((got.unwrap() - want).abs() <= tolerance, "p{} {} vs {}", p, got.unwrap(), want);
            }
        }
    }
}
