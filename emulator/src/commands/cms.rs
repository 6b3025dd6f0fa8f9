//! CMS commands of the EXEC (spec §7): `cms database backup|create|delete|restore|validate|
//! downgrade` on a CDM and `cms deregister` on a CE/CR. Each precondition gives one `% Error:`
//! that says what to do instead, and changes nothing. The `show cms` views are in `cms_show`, the
//! configuration (`cms enable`, `cdm ...`) in `cms_config`.

use super::args::Args;
use super::context::Ctx;
use super::outcome::{yes_no, Ask, Input, Outcome};
use super::unit::{ExecCommand, CDM_ONLY, CE_CR};
use crate::cms::Cms;
use crate::device::{Device, DeviceState};
use crate::network::Network;
use crate::release::release;
use crate::tasks::Task;
use crate::text::cms as text;
use crate::text::log;

pub(super) static EXEC: &[&ExecCommand] = &[
    &BACKUP,
    &CREATE,
    &DELETE,
    &RESTORE,
    &VALIDATE,
    &DOWNGRADE,
    &DEREGISTER,
];

/// Help of the `cms` keyword of the EXEC.
const H_CMS_EXEC: &str = "CMS utility commands";
const H_DATABASE: &str = "CMS database maintenance";

static ASK_CONFIRM_DELETE: Ask = Ask {
    prompt: text::CONFIRM_DELETE,
    input: Input::Answer,
};

/// What a `cms database` command needs before it runs.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Needs {
    /// Nothing more than a CDM.
    Nothing,
    /// An existing database.
    Database,
    /// `no cms enable` first.
    Disabled,
    /// Both.
    DisabledWithDatabase,
}

/// Runs `work` on the CDM's database once the preconditions in `needs` hold; `Fail` otherwise.
fn with_cms(
    device: &Device,
    needs: Needs,
    work: impl FnOnce(&mut Cms, &DeviceState) -> Outcome,
) -> Outcome {
    let mut state = device.state();
    let cms_enabled = state.running.cms_enabled;
    let Some(mut cms) = state.cms.take() else {
        return Outcome::Fail(crate::text::msg::NOT_ON_THIS_DEVICE.into());
    };
    let disabled = matches!(needs, Needs::Disabled | Needs::DisabledWithDatabase);
    let database = matches!(needs, Needs::Database | Needs::DisabledWithDatabase);
    let outcome = if disabled && cms_enabled {
        Outcome::Fail(text::NEED_DISABLED.into())
    } else if database && !cms.exists() {
        Outcome::Fail(text::NO_DATABASE.into())
    } else {
        work(&mut cms, &state)
    };
    state.cms = Some(cms);
    outcome
}

fn fail(e: crate::cms::CmsError) -> Outcome {
    Outcome::Fail(format!("% Error: {e}"))
}

static BACKUP: ExecCommand = ExecCommand::new(
    "cms database backup",
    &[
        H_CMS_EXEC,
        H_DATABASE,
        "Back up the database to /local/local1",
    ],
    |_, ctx| {
        let device = ctx.device;
        let now = device.clock().now();
        // Checked and named now; written by a task, without holding the device.
        with_cms(device, Needs::Database, |cms, state| {
            match cms.backup_source() {
                Some(source) => Outcome::Run(Task::CmsBackup {
                    source,
                    software: state.version,
                    now,
                }),
                None => Outcome::Fail(text::NO_DATABASE.into()),
            }
        })
    },
)
.privileged()
.only(CDM_ONLY);

static CREATE: ExecCommand = ExecCommand::new(
    "cms database create",
    &[
        H_CMS_EXEC,
        H_DATABASE,
        "Create an empty database for the running software",
    ],
    |_, ctx| {
        let now = ctx.device.clock().now();
        let mut logged = None;
        let outcome = with_cms(ctx.device, Needs::Nothing, |cms, state| {
            if cms.exists() {
                return Outcome::Fail(text::DATABASE_EXISTS.into());
            }
            let schema = release(state.version).schema;
            match cms.create(schema, &now.to_rfc3339()) {
                Ok(()) => {
                    logged = Some(format!("{} {schema}", log::DATABASE_CREATED));
                    Outcome::Print(format!("{} {schema}.\n", text::CREATED))
                }
                Err(e) => fail(e),
            }
        });
        log_if(ctx.device, logged);
        outcome
    },
)
.privileged()
.only(CDM_ONLY);

static DELETE: ExecCommand = ExecCommand::new(
    "cms database delete",
    &[
        H_CMS_EXEC,
        H_DATABASE,
        "Delete the database and all its tables",
    ],
    |_, ctx| {
        with_cms(ctx.device, Needs::DisabledWithDatabase, |_, _| {
            Outcome::ask(&ASK_CONFIRM_DELETE, confirm_delete)
        })
    },
)
.privileged()
.only(CDM_ONLY)
.asks(&[&ASK_CONFIRM_DELETE]);

/// The answer to `Proceed?[no]:`; an answer that is neither yes nor no asks again, as IOS does.
fn confirm_delete(answer: &str, ctx: &mut Ctx<'_>) -> Outcome {
    match yes_no(answer, false) {
        Some(true) => delete(ctx),
        Some(false) => Outcome::Print(format!("{}\n", text::DELETE_ABORTED)),
        None => Outcome::ask_after(
            format!("{}\n", crate::text::msg::ANSWER_YES_OR_NO),
            &ASK_CONFIRM_DELETE,
            confirm_delete,
        ),
    }
}

/// `cms database delete` after the confirmation (the state may have changed meanwhile).
fn delete(ctx: &mut Ctx<'_>) -> Outcome {
    let outcome = with_cms(ctx.device, Needs::Disabled, |cms, _| match cms.delete() {
        Ok(()) => Outcome::Print(format!("{}\n", text::DELETED)),
        Err(e) => fail(e),
    });
    if matches!(outcome, Outcome::Print(_)) {
        ctx.device.log(log::DATABASE_DELETED);
    }
    outcome
}

/// Writes `line` to the device's log, if there is one (after the device's lock is released).
fn log_if(device: &Device, line: Option<String>) {
    if let Some(line) = line {
        device.log(line);
    }
}

static RESTORE: ExecCommand = ExecCommand::new(
    "cms database restore FILE",
    &[
        H_CMS_EXEC,
        H_DATABASE,
        "Restore the database from a backup",
        "Backup file name in /local/local1",
    ],
    |args: &Args<'_>, ctx| {
        let name = args.word("file");
        let device = ctx.device;
        let mut logged = None;
        let outcome = with_cms(device, Needs::Disabled, |cms, _| {
            if cms.exists() {
                return Outcome::Fail(text::DATABASE_EXISTS.into());
            }
            let Some(path) = device.disk_file(name) else {
                return Outcome::Fail(format!("{}{name}", crate::text::msg::BAD_FILE_NAME));
            };
            if !path.is_file() {
                return Outcome::Fail(format!("{}{name}", text::NO_FILE));
            }
            match cms.restore(&path) {
                Ok(h) => {
                    logged = Some(format!(
                        "{} {name} (schema {})",
                        log::DATABASE_RESTORED,
                        h.schema
                    ));
                    Outcome::Print(format!(
                        "{} {name} (schema {}, software {}).\n",
                        text::RESTORED,
                        h.schema,
                        h.software
                    ))
                }
                Err(e) => fail(e),
            }
        });
        log_if(device, logged);
        outcome
    },
)
.privileged()
.only(CDM_ONLY);

static VALIDATE: ExecCommand = ExecCommand::new(
    "cms database validate",
    &[
        H_CMS_EXEC,
        H_DATABASE,
        "Check the database's integrity and schema",
    ],
    |_, ctx| {
        with_cms(ctx.device, Needs::Database, |cms, state| {
            match cms.validate() {
                Ok(schema) => {
                    let mut out =
                        format!("{} {schema}, software {}.\n", text::VALID, state.version);
                    let wanted = release(state.version).schema;
                    if schema != wanted {
                        // valid, but CMS will not start on it: say so, and the way out
                        let way_out = if schema > wanted {
                            text::WAY_OUT_NEWER.to_string()
                        } else {
                            text::VALIDATE_OLDER
                                .replace("{schema}", &schema.to_string())
                                .replace("{wanted}", &wanted.to_string())
                        };
                        out.push_str(&format!(
                            "{} {} needs schema {wanted}. {way_out}\n",
                            text::VALID_BUT_WRONG_SCHEMA,
                            state.version
                        ));
                    }
                    Outcome::Print(out)
                }
                Err(e) => fail(e),
            }
        })
    },
)
.privileged()
.only(CDM_ONLY);

static DOWNGRADE: ExecCommand = ExecCommand::new(
    "cms database downgrade",
    &[
        H_CMS_EXEC,
        H_DATABASE,
        "Convert the database to the running (older) software",
    ],
    |_, ctx| {
        with_cms(ctx.device, Needs::DisabledWithDatabase, |cms, state| {
            let target = release(state.version).schema;
            match cms.schema() {
                Ok(s) if s == target => Outcome::Fail(format!("{} ({target}).", text::SAME_SCHEMA)),
                Ok(s) if s < target => {
                    Outcome::Fail(format!("{} ({s} < {target}).", text::NOT_NEWER))
                }
                Ok(_) => match cms.downgrade(target) {
                    Ok(from) => {
                        Outcome::Print(format!("{} {from} to {target}.\n", text::DOWNGRADED))
                    }
                    Err(e) => fail(e),
                },
                Err(e) => fail(e),
            }
        })
    },
)
.privileged()
.only(CDM_ONLY);

static DEREGISTER: ExecCommand = ExecCommand::new(
    "cms deregister [force]",
    &[
        H_CMS_EXEC,
        "Remove this device's registration from the CDM",
        "Deregister locally even if the CDM cannot be reached",
    ],
    |args: &Args<'_>, ctx| deregister(ctx.device, ctx.network, args.has("force")),
)
.privileged()
.only(CE_CR);

/// `cms deregister [force]` on a CE or CR.
fn deregister(device: &Device, network: Option<&Network>, force: bool) -> Outcome {
    let registered = {
        let s = device.state();
        s.registration.is_some() || s.running.cdm_ip.is_some()
    };
    if !registered {
        return Outcome::Fail(text::NOT_REGISTERED.into());
    }
    let result = match network {
        Some(network) => crate::agent::deregister(device, network, force),
        None if force => {
            let mut s = device.state();
            s.registration = None;
            s.running.cms_enabled = false;
            Ok(())
        }
        None => Err(crate::network::NetError::NoAnswer(
            std::net::Ipv4Addr::UNSPECIFIED,
        )),
    };
    match result {
        Ok(()) => Outcome::Print(format!("{}\n", text::DEREGISTERED)),
        Err(_) => Outcome::Fail(text::CDM_UNREACHABLE.into()),
    }
}
