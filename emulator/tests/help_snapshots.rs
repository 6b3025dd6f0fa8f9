//! Snapshots of the `?` help, as a user sees it, in every CLI mode (`>`, `#`, `(config)#`,
//! `(config-if)#`) of every device kind (CDM, CE, CR) of the default lab: the help of the empty
//! line and, walking the keywords (and a sample value for each argument), the help after every
//! word of every command. A change to any help text, to the commands a mode or kind offers, or to
//! their order shows up here. Update with `cargo insta review` (or `INSTA_UPDATE=always`) only for
//! a change the CLI is meant to make.

use acnslab::session::Session;

use crate::util::{admin_session, default_lab, walk_help, CliMode};

/// The help walk of `mode` on `device`, typed out as a terminal shows it: the prompt, the line
/// with its `?`, then the help.
async fn help_transcript(device: &str, mode: CliMode) -> String {
    let dir = tempfile::tempdir().unwrap();
    let lab = default_lab(dir.path()).await;
    let session = admin_session(&lab, device, mode);
    render(&session)
}

fn render(session: &Session) -> String {
    let prompt = session.prompt();
    walk_help(session)
        .into_iter()
        .map(|stop| format!("{prompt}{}?\n{}", stop.line, stop.help))
        .collect::<Vec<_>>()
        .join("\n")
}

/// One test per device kind and mode, each with its own snapshot file.
macro_rules! help_snapshots {
    ($($test:ident: $device:literal in $mode:ident;)*) => {$(
        #[tokio::test]
        async fn $test() {
            insta::assert_snapshot!(help_transcript($device, CliMode::$mode).await);
        }
    )*};
}

help_snapshots! {
    cdm_user_exec: "cdm1" in UserExec;
    cdm_privileged_exec: "cdm1" in PrivilegedExec;
    cdm_global_config: "cdm1" in GlobalConfig;
    cdm_interface_config: "cdm1" in InterfaceConfig;
    ce_user_exec: "ce1" in UserExec;
    ce_privileged_exec: "ce1" in PrivilegedExec;
    ce_global_config: "ce1" in GlobalConfig;
    ce_interface_config: "ce1" in InterfaceConfig;
    cr_user_exec: "cr1" in UserExec;
    cr_privileged_exec: "cr1" in PrivilegedExec;
    cr_global_config: "cr1" in GlobalConfig;
    cr_interface_config: "cr1" in InterfaceConfig;
}
