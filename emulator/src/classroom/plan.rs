//! Where each trainee's lab of a classroom goes, decided before anything is written: trainee K
//! (from 1) gets the state directory `DIR/traineeK` and the port block `base + (K-1) x stride`,
//! where `stride` is the four blocks of `max(D, 100)` ports one lab lays out (SSH, CDM web, image
//! servers, the health port; docs/topology.md, "Ports"); the teacher's page takes the first port
//! after the last lab's block. Pure: checks that the labs' ports stay apart, fit below 65536 and
//! out of the kernel's ephemeral range, and says which flag to change when they do not.

use std::path::{Path, PathBuf};

use crate::topology::Topology;

/// The most trainees one `classroom up` starts (one host; a larger class is several hosts, or
/// Kubernetes: docs/deploy.md).
pub const MAX_TRAINEES: usize = 200;

/// Why a classroom cannot be laid out.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlanError {
    #[error("--trainees: from 1 to {MAX_TRAINEES}, got {0}")]
    Trainees(usize),
    #[error("--trainees {trainees} from --base-port {base} needs ports up to {highest} ({stride} per lab, then the teacher's page), past 65535: fewer trainees or a lower --base-port")]
    TooHigh {
        trainees: usize,
        base: u16,
        stride: u32,
        highest: u32,
    },
    #[error("--trainees {trainees} from --base-port {base} needs ports {base} to {highest} ({stride} per lab, then the teacher's page), which reach the kernel's ephemeral range {low}-{high}, where other programs take ports for their outgoing connections: at most {fit} trainees from this base, or a lower --base-port")]
    Ephemeral {
        trainees: usize,
        base: u16,
        stride: u32,
        highest: u32,
        low: u16,
        high: u16,
        fit: u32,
    },
    #[error("the exercise pins ports of its own ({what} on {port}), which every trainee's lab would take: a classroom needs an exercise whose ports follow lab.base_port")]
    Pinned { what: String, port: u16 },
}

/// One trainee's lab.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seat {
    /// `trainee1`, `trainee2`, ...
    pub trainee: String,
    pub state_dir: PathBuf,
    /// The SSH port of the lab's first device; the others follow the lab's layout.
    pub base_port: u16,
}

/// The whole classroom.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    pub seats: Vec<Seat>,
    /// Ports between one lab's base and the next's.
    pub stride: u32,
    /// The teacher's page, unless `--teacher-port` says otherwise.
    pub teacher_port: u16,
}

/// Lays out `trainees` labs of `topology` from `base` in `dir`; `ephemeral` is the kernel's range
/// (`lab::ports::ephemeral_range`), `None` when unknown.
pub fn plan(
    topology: &Topology,
    trainees: usize,
    base: u16,
    dir: &Path,
    ephemeral: Option<(u16, u16)>,
) -> Result<Plan, PlanError> {
    if !(1..=MAX_TRAINEES).contains(&trainees) {
        return Err(PlanError::Trainees(trainees));
    }
    let block = u32::try_from(topology.devices.len().max(100)).unwrap_or(u32::MAX);
    let stride = block.saturating_mul(4);
    let count = u32::try_from(trainees).unwrap_or(u32::MAX);
    // the teacher's page is the last port used
    let highest = u32::from(base).saturating_add(stride.saturating_mul(count));
    if highest > u32::from(u16::MAX) {
        return Err(PlanError::TooHigh {
            trainees,
            base,
            stride,
            highest,
        });
    }
    if let Some((low, high)) = ephemeral {
        if u32::from(base) <= u32::from(high) && highest >= u32::from(low) {
            let fit = if base < low {
                (u32::from(low) - u32::from(base)).saturating_sub(1) / stride
            } else {
                0
            };
            return Err(PlanError::Ephemeral {
                trainees,
                base,
                stride,
                highest,
                low,
                high,
                fit,
            });
        }
    }
    // a port a device or server pins is the same in every lab: two labs would want it
    let mut shifted = topology.clone();
    shifted.lab.base_port = base;
    let first = shifted.fixed_ports(true, true);
    shifted.lab.base_port = base.saturating_add(1);
    let moved = shifted.fixed_ports(true, true);
    if let Some(((what, port), _)) = first.iter().zip(&moved).find(|(a, b)| a.1 == b.1) {
        return Err(PlanError::Pinned {
            what: what.clone(),
            port: *port,
        });
    }
    let seats = (0..count)
        .map(|k| Seat {
            trainee: format!("trainee{}", k + 1),
            state_dir: dir.join(format!("trainee{}", k + 1)),
            // below `highest`, checked above
            base_port: u16::try_from(u32::from(base) + k * stride).unwrap_or(u16::MAX),
        })
        .collect();
    Ok(Plan {
        seats,
        stride,
        teacher_port: u16::try_from(highest).unwrap_or(u16::MAX),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const RANGE: Option<(u16, u16)> = Some((32768, 60999));

    #[test]
    fn each_trainee_has_a_block_of_its_own_and_the_teacher_the_next() {
        let lab = Topology::default_lab();
        let p = plan(&lab, 3, 2201, Path::new("/c"), RANGE).unwrap();
        let bases: Vec<u16> = p.seats.iter().map(|s| s.base_port).collect();
        assert_eq!(bases, [2201, 2601, 3001]);
        assert_eq!(p.teacher_port, 3401);
        assert_eq!(p.seats[1].trainee, "trainee2");
        assert_eq!(p.seats[1].state_dir, Path::new("/c/trainee2"));
        // no port of one lab is another's, nor the teacher's
        let mut all = Vec::new();
        for s in &p.seats {
            let mut t = lab.clone();
            t.lab.base_port = s.base_port;
            all.extend(t.fixed_ports(true, true).into_iter().map(|(_, port)| port));
        }
        all.push(p.teacher_port);
        let count = all.len();
        all.sort();
        all.dedup();
        assert_eq!(all.len(), count);
    }

    #[test]
    fn a_class_that_does_not_fit_says_which_flag_to_change() {
        let lab = Topology::default_lab();
        assert_eq!(
            plan(&lab, 0, 2201, Path::new("/c"), RANGE),
            Err(PlanError::Trainees(0))
        );
        let e = plan(&lab, 80, 2201, Path::new("/c"), RANGE).unwrap_err();
        assert!(
            e.to_string().contains("at most 76 trainees from this base"),
            "{e}"
        );
        assert!(plan(&lab, 76, 2201, Path::new("/c"), RANGE).is_ok());
        let e = plan(&lab, 100, 40000, Path::new("/c"), None).unwrap_err();
        assert!(matches!(e, PlanError::TooHigh { .. }), "{e}");
        assert!(e
            .to_string()
            .starts_with("--trainees 100 from --base-port 40000"));
    }

    #[test]
    fn an_exercise_that_pins_a_port_cannot_be_a_classroom() {
        let mut lab = Topology::default_lab();
        lab.devices[2].port = Some(3000);
        let e = plan(&lab, 2, 2201, Path::new("/c"), RANGE).unwrap_err();
        assert_eq!(
            e,
            PlanError::Pinned {
                what: "ce1 SSH".into(),
                port: 3000
            }
        );
    }
}
