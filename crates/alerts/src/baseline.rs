//! Spike detection: a learned, time-of-day aware baseline of a query's mentions.
//!
//! Mentions are counted in fixed buckets (15 minutes is the intended width). For each hour of
//! the day, in the workspace's time zone, a [`Baseline`] keeps an exponentially weighted mean
//! and variance of the number of mentions per bucket and of the share of negative mentions, plus
//! the same over all hours. [`Baseline::observe`] first tests a bucket against what was learned,
//! then learns from it.
//!
//! # The rules
//!
//! **Volume.** A bucket is a volume spike when all of these hold:
//!
//! - `count >= min_count` (default 10): a handful of posts is never a spike;
//! - `z >= z_threshold` (default 3). `z` is the smaller of two scores, both taking the count
//!   half a post lower (a continuity correction, counts being whole numbers):
//!   - the plain z-score `(count - mean) / sd`, where `sd²` is the largest of the learned
//!     variance, the mean itself (counts of independent posts vary at least like a Poisson
//!     variable) and `volume_variance_floor` (default 4: a quiet hour whose mean is near zero
//!     does not turn 2 posts into a huge z);
//!   - the z-score on the square-root scale, `2 (√(count + 3/8) − √(mean + 3/8))`, divided by
//!     the square root of the over-dispersion (learned variance over mean, at least 1). Small
//!     counts have a long right tail, which the plain score underrates: 12 posts where 5 are
//!     usual lie 3.1 standard deviations above the mean, yet come once in 180 buckets; on
//!     this scale they score 2.3.
//! - `count >= min_ratio × mean` (default 2): a spike is at least twice the usual.
//!
//! **Negative share.** A bucket is a negative-share spike when `negative >= min_negative`
//! (default 5), its share of negatives exceeds the expected share by at least
//! `negative_margin` (default 0.20, twenty points), and by `z >= z_threshold`. That `z` is
//! again the smaller of the plain z-score and the z-score on the arcsine scale (where a
//! binomial share over `n` posts has a variance of `1 / 4n`), both with a continuity
//! correction; the variance is the binomial variance of a share over this bucket's count, plus
//! the variation of the share learned beyond its binomial noise (and at least
//! `share_variance_floor` for the plain score).
//!
//! **How often it is wrong.** A z-score of 3 is passed by chance about once in 740 draws of a
//! normal variable. On simulated steady Poisson traffic (the tests), these rules give about 4
//! false alerts in 10,000 buckets of 15 minutes, volume and negative share together, all with
//! `z` under 3.5: about one a month for a query. Raise `z_threshold` to 3.5 to make them rare.
//!
//! **Which baseline.** The hour's own baseline is used once it has `hour_warmup` observations
//! (default 12: three days of 15-minute buckets). Before that the all-hours baseline is used,
//! once it has `global_warmup` observations (default 96: one day of 15-minute buckets, so that
//! it has seen the whole daily cycle, whose swings then widen its variance). Before either is
//! warm, nothing alerts.
//!
//! **Learning.** Every bucket is learned, spikes included, but a value beyond
//! `mean + z_threshold × sd` of a warm baseline is learned as that bound: a burst does not
//! teach the baseline that bursts are normal, while a lasting change of level is still learned
//! within days. Each hour learns with weight `alpha` (default 0.05, a memory of about five days
//! of that hour), the all-hours baseline with `alpha / 24`; while fewer than `1 / alpha`
//! observations were made the weight is `1 / n`, a plain average.
//!
//! # Storage
//!
//! A [`Baseline`] serialises with serde (as JSON, for instance) and is meant to be stored per
//! query between buckets. Its [`BaselineConfig`] is not part of the stored state: set it again
//! with [`Baseline::set_config`] after loading, so that a change of settings applies to every
//! query at once.

use serde::{Deserialize, Serialize};

/// The mentions of one query in one bucket of time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Bucket {
    /// The hour of the day, 0 to 23, at the start of the bucket in the workspace's time zone.
    /// Larger values are taken modulo 24.
    pub local_hour: u8,
    /// How many mentions the bucket holds.
    pub count: u32,
    /// How many of them are negative (more than `count` is taken as `count`).
    pub negative: u32,
}

/// What kind of spike was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SpikeKind {
    /// Far more mentions than usual at this hour.
    Volume,
    /// A far larger share of negative mentions than usual.
    NegativeShare,
}

/// A bucket that stands out from the baseline.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Spike {
    /// Volume or negative share.
    pub kind: SpikeKind,
    /// For volume, the bucket's count; for negative share, its share of negatives (0 to 1).
    pub observed: f64,
    /// The same quantity as the baseline expected it.
    pub expected: f64,
    /// How many standard deviations `observed` lies above `expected`.
    pub z: f64,
}

/// Whether a set of spikes from one bucket suggests opening a crisis: the volume and the
/// negative share both jumped.
pub fn crisis_suggested(spikes: &[Spike]) -> bool {
    spikes.iter().any(|s| s.kind == SpikeKind::Volume)
        && spikes.iter().any(|s| s.kind == SpikeKind::NegativeShare)
}

/// The thresholds and learning rates of spike detection; see the [module documentation](self).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct BaselineConfig {
    /// Learning weight of one observation of an hour (0 < alpha ≤ 1).
    pub alpha: f64,
    /// Observations of an hour before its own baseline is used.
    pub hour_warmup: u32,
    /// Observations in all before the all-hours baseline is used for hours still warming up.
    pub global_warmup: u32,
    /// Standard deviations above expected for a spike.
    pub z_threshold: f64,
    /// Fewest mentions in a bucket for a volume spike.
    pub min_count: u32,
    /// Fewest times the expected count for a volume spike.
    pub min_ratio: f64,
    /// Smallest variance of a count, so that quiet hours do not alert on a few posts.
    pub volume_variance_floor: f64,
    /// Fewest negative mentions in a bucket for a negative-share spike.
    pub min_negative: u32,
    /// Smallest rise of the negative share over the expected share (0.20 is twenty points).
    pub negative_margin: f64,
    /// Smallest variance of a share.
    pub share_variance_floor: f64,
}

impl Default for BaselineConfig {
    fn default() -> Self {
        BaselineConfig {
            alpha: 0.05,
            hour_warmup: 12,
            global_warmup: 96,
            z_threshold: 3.0,
            min_count: 10,
            min_ratio: 2.0,
            volume_variance_floor: 4.0,
            min_negative: 5,
            negative_margin: 0.20,
            share_variance_floor: 0.0025,
        }
    }
}

/// An exponentially weighted mean and variance, a plain average while young.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Ewma {
    /// Observations learned.
    pub n: u64,
    /// The weighted mean.
    pub mean: f64,
    /// The weighted (population) variance.
    pub var: f64,
}

impl Ewma {
    fn learn(&mut self, x: f64, alpha: f64) {
        if !x.is_finite() {
            return;
        }
        self.n += 1;
        let a = alpha.max(1.0 / self.n as f64).clamp(f64::MIN_POSITIVE, 1.0);
        let diff = x - self.mean;
        let incr = a * diff;
        self.mean += incr;
        self.var = ((1.0 - a) * (self.var + diff * incr)).max(0.0);
    }
}

/// What one hour (or all hours) has learned.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Stats {
    /// Mentions per bucket.
    pub count: Ewma,
    /// Share of negatives per bucket, over buckets with at least one mention.
    pub share: Ewma,
    /// Mean of `1 / count` over the same buckets, to tell the binomial noise of the shares
    /// from their real variation.
    pub inv_count: f64,
}

impl Stats {
    fn volume_sd(&self, config: &BaselineConfig) -> f64 {
        self.count.var.max(self.count.mean).max(config.volume_variance_floor).max(f64::MIN_POSITIVE).sqrt()
    }

    /// Variance of the share beyond the binomial noise of the buckets it was learned from.
    fn share_extra_var(&self) -> f64 {
        let p = self.share.mean;
        (self.share.var - p * (1.0 - p) * self.inv_count).max(0.0)
    }

    fn share_sd(&self, count: u32, config: &BaselineConfig) -> f64 {
        let p = self.share.mean;
        let binomial = p * (1.0 - p) / f64::from(count.max(1));
        (binomial + self.share_extra_var()).max(config.share_variance_floor).max(f64::MIN_POSITIVE).sqrt()
    }

    /// How surprising a count is: the smaller of the plain z-score (with the variance floor)
    /// and the z-score on the square-root scale, where counts of independent posts have a
    /// variance of about 1/4 whatever their mean and the long right tail of small counts is
    /// tamed. Both are corrected for continuity (the count is taken half a post lower).
    fn volume_z(&self, count: u32, config: &BaselineConfig) -> f64 {
        let mean = self.count.mean.max(0.0);
        let x = (f64::from(count) - 0.5).max(0.0);
        let plain = (x - mean) / self.volume_sd(config);
        let dispersion = if mean > 0.0 { (self.count.var / mean).max(1.0) } else { 1.0 };
        let root = 2.0 * ((x + 0.375).sqrt() - (mean + 0.375).sqrt()) / dispersion.sqrt();
        plain.min(root)
    }

    /// How surprising a share of negatives is: the smaller of the plain z-score and the
    /// z-score on the arcsine scale, where a binomial share over `n` posts has a variance of
    /// about `1 / 4n` whatever its mean. Both are corrected for continuity.
    fn share_z(&self, bucket: &Bucket, config: &BaselineConfig) -> f64 {
        let n = f64::from(bucket.count.max(1));
        let observed = ((f64::from(bucket.negative) - 0.5) / n).clamp(0.0, 1.0);
        let p = self.share.mean.clamp(0.0, 1.0);
        let extra = self.share_extra_var();
        let plain = (observed - p) / self.share_sd(bucket.count, config);
        let q = p.clamp(1e-6, 1.0 - 1e-6);
        let arcsine_var = 1.0 / (4.0 * n) + extra / (4.0 * q * (1.0 - q));
        let arcsine = (observed.sqrt().asin() - p.sqrt().asin()) / arcsine_var.sqrt();
        plain.min(arcsine)
    }

    fn learn(&mut self, bucket: &Bucket, alpha: f64, warm: bool, config: &BaselineConfig) {
        let mut x = f64::from(bucket.count);
        if warm {
            x = x.min(self.count.mean + config.z_threshold * self.volume_sd(config));
        }
        self.count.learn(x, alpha);
        if bucket.count > 0 {
            let mut share = f64::from(bucket.negative) / f64::from(bucket.count);
            let share_warm = warm && self.share.n > 0;
            if share_warm {
                let bound = self.share.mean + config.z_threshold * self.share_sd(bucket.count, config);
                share = share.min(bound);
            }
            let inv = 1.0 / f64::from(bucket.count);
            // Same weight as the share's own mean, so the two describe the same buckets.
            let a = alpha.max(1.0 / (self.share.n + 1) as f64).min(1.0);
            self.inv_count += a * (inv - self.inv_count);
            self.share.learn(share, alpha);
        }
    }
}

/// The learned baseline of one query: one [`Stats`] per hour of the day and one for all hours.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Baseline {
    hours: [Stats; 24],
    all: Stats,
    #[serde(skip)]
    config: BaselineConfig,
}

impl Default for Baseline {
    fn default() -> Self {
        Baseline::new(BaselineConfig::default())
    }
}

impl Baseline {
    /// An empty baseline: nothing alerts until it has warmed up.
    pub fn new(config: BaselineConfig) -> Self {
        Baseline { hours: [Stats::default(); 24], all: Stats::default(), config }
    }

    /// The thresholds in use.
    pub fn config(&self) -> &BaselineConfig {
        &self.config
    }

    /// Replaces the thresholds (after loading a stored baseline, for instance).
    pub fn set_config(&mut self, config: BaselineConfig) {
        self.config = config;
    }

    /// What the given hour has learned.
    pub fn hour(&self, local_hour: u8) -> &Stats {
        &self.hours[usize::from(local_hour % 24)]
    }

    /// What all hours together have learned.
    pub fn all_hours(&self) -> &Stats {
        &self.all
    }

    /// The baseline a bucket at this hour is tested against, if one is warm.
    fn reference(&self, hour: usize) -> Option<&Stats> {
        let own = &self.hours[hour];
        if own.count.n >= u64::from(self.config.hour_warmup) {
            Some(own)
        } else if self.all.count.n >= u64::from(self.config.global_warmup) {
            Some(&self.all)
        } else {
            None
        }
    }

    /// Tests the bucket against the baseline, then learns from it. Gives the spikes found, at
    /// most one of each kind.
    pub fn observe(&mut self, bucket: Bucket) -> Vec<Spike> {
        let config = self.config.clone();
        let hour = usize::from(bucket.local_hour % 24);
        let bucket = Bucket {
            local_hour: hour as u8,
            count: bucket.count,
            negative: bucket.negative.min(bucket.count),
        };
        let spikes = match self.reference(hour) {
            Some(stats) => test(stats, &bucket, &config),
            None => Vec::new(),
        };
        let alpha = config.alpha.clamp(f64::MIN_POSITIVE, 1.0);
        let hour_warm = self.hours[hour].count.n >= u64::from(config.hour_warmup);
        self.hours[hour].learn(&bucket, alpha, hour_warm, &config);
        let all_warm = self.all.count.n >= u64::from(config.global_warmup);
        self.all.learn(&bucket, alpha / 24.0, all_warm, &config);
        spikes
    }
}

fn test(stats: &Stats, bucket: &Bucket, config: &BaselineConfig) -> Vec<Spike> {
    let mut spikes = Vec::new();

    let count = f64::from(bucket.count);
    let expected = stats.count.mean;
    let z = stats.volume_z(bucket.count, config);
    if bucket.count >= config.min_count && z >= config.z_threshold && count >= config.min_ratio * expected {
        spikes.push(Spike { kind: SpikeKind::Volume, observed: count, expected, z });
    }

    if bucket.count > 0 && stats.share.n > 0 && bucket.negative >= config.min_negative {
        let share = f64::from(bucket.negative) / count;
        let expected = stats.share.mean;
        let z = stats.share_z(bucket, config);
        if share - expected >= config.negative_margin && z >= config.z_threshold {
            spikes.push(Spike { kind: SpikeKind::NegativeShare, observed: share, expected, z });
        }
    }
    spikes
}

#[cfg(test)]
mod tests;
