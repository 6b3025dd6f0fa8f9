//! Every piece of user-visible text that mimics ACNS lives here: messages, prompts, banners and the
//! fixed parts of `show` outputs. Nothing else in the crate spells out ACNS wording, so the table can be
//! corrected in one place when real captures turn up.
//!
//! Entries marked `[seen]` come from real captures or documents (see `../shared/spec/ACNS-BEHAVIOUR.md`);
//! entries marked `[ours]` are our own decisions in ACNS/IOS style.

/// Prompts shown while a command waits for an answer.
pub mod prompt {
    /// `reload` when running and startup configuration differ. [seen]
    pub const SAVE_BEFORE_RELOAD: &str = "System configuration has been modified. Save?[yes]:";
    /// `reload` confirmation. [seen]
    pub const PROCEED_WITH_RELOAD: &str = "Proceed with reload?[confirm]";
    /// `enable` by a user below privilege 15. [seen]
    pub const PASSWORD: &str = "Password:";
    /// `write erase` confirmation. [recalled: IOS `write erase`; ACNS's wording not seen]
    pub const ERASE_STARTUP: &str =
        "Erasing the nvram filesystem will remove all configuration files! Continue? [confirm]";
    /// `deltree` confirmation, after [`super::files::DELTREE_WARNING`]. [ours, in the style of the
    /// `cms database delete` question]
    pub const DELTREE_PROCEED: &str = "Proceed?[no]:";
}

/// One-line messages printed by commands.
pub mod msg {
    /// An output modifier's pattern that is not a regular expression. [ours, IOS style]
    pub const BAD_PATTERN: &str = "% Invalid regular expression: ";
    /// `write memory`, `copy running-config startup-config`. [ours, IOS style]
    pub const BUILDING_CONFIGURATION: &str = "Building configuration...";
    /// [ours, IOS style]
    pub const OK: &str = "[OK]";
    /// `reload` aborted by the user. [ours]
    pub const RELOAD_ABORTED: &str = "Reload aborted.";
    /// Printed before the device goes down. [ours]
    pub const RELOADING: &str = "Reloading the system. Please wait ...";
    /// The answer to the save question was not understood. [ours]
    pub const ANSWER_YES_OR_NO: &str = "% Please answer 'yes' or 'no'.";
    /// Wrong password at `enable`. [ours, IOS style]
    pub const BAD_SECRET: &str = "% Bad secrets";
    /// Ctrl-C during a download, an upload, `ping` or `traceroute`: the task stops. [ours, as a
    /// terminal echoes the interrupt]
    pub const INTERRUPTED: &str = "^C";
    /// A command run while the device cannot do it (booting). [ours]
    pub const DEVICE_BUSY: &str = "% Error: the device is rebooting; try again when it is up.";
    /// `dir` on a directory that does not exist. [ours]
    pub const NO_SUCH_DIRECTORY: &str = "% Error: no such directory: ";
    /// A file name with `/` or `..` outside `/local/local1`. [ours]
    pub const BAD_FILE_NAME: &str = "% Error: invalid file name: ";
    /// `no username` for the last privilege-15 account. [ours]
    pub const LAST_ADMIN: &str = "% Error: cannot remove the last privilege 15 user.";
    /// `username NAME privilege N` for a user without a password yet. [ours]
    pub const NO_SUCH_USER: &str =
        "% Error: set a password first ('username NAME password ...'); no such user: ";
    /// A hostname with characters other than `[A-Za-z0-9._-]`, or too long. [ours]
    pub const BAD_HOSTNAME: &str =
        "% Error: a hostname is 1 to 63 characters of letters, digits, '.', '_' and '-'.";
    /// `username NAME password 1 X` where X is not an obscured password. [ours]
    pub const BAD_OBSCURED_PASSWORD: &str = "% Error: invalid obscured password.";
    /// An interface that the device does not have. [ours]
    pub const NO_SUCH_INTERFACE: &str = "% Error: no such interface: GigabitEthernet ";
    /// A subnet mask that is not a contiguous mask. [ours]
    pub const BAD_MASK: &str = "% Error: invalid subnet mask: ";
    /// A `cdm role` on a device that is not a CDM, or `cdm ip` on a primary CDM. [ours]
    pub const NOT_ON_THIS_DEVICE: &str = "% Error: this command is not available on this device.";
    /// `device mode` change, effective after reload. [ours]
    pub const DEVICE_MODE_AFTER_RELOAD: &str =
        "The new device mode will take effect after you save the configuration and reload.";
    /// `cms enable` on a CDM whose database schema is not the software's. [ours]
    pub const SCHEMA_MISMATCH: &str = "% Error: the CMS database has schema";
    /// `write erase` done. [recalled: IOS]
    pub const ERASE_DONE: &str = "Erase of nvram: complete";
    /// `write erase` answered with anything but yes. [ours]
    pub const ERASE_ABORTED: &str = "Erase aborted.";
    /// `clock timezone` with a zone name that is not one word of letters, digits, `.`, `_`, `-`. [ours]
    pub const BAD_TIMEZONE_NAME: &str =
        "% Error: a time zone name is 1 to 63 characters of letters, digits, '.', '_' and '-'.";
    /// `clock timezone NAME HOURS ...` with hours outside -23..23. [ours]
    pub const BAD_TIMEZONE_HOURS: &str = "% Error: the hours offset is a number from -23 to 23: ";
    /// [ours]
    pub const TOO_MANY_NTP_SERVERS: &str =
        "% Error: at most 4 NTP servers; remove one first with 'no ntp server A.B.C.D'.";
    /// [ours]
    pub const TOO_MANY_NAME_SERVERS: &str =
        "% Error: at most 8 name servers; remove one first with 'no ip name-server A.B.C.D'.";
    /// [ours]
    pub const TOO_MANY_LOGGING_HOSTS: &str =
        "% Error: at most 4 syslog hosts; remove one first with 'no logging host A.B.C.D'.";
    /// [ours]
    pub const BAD_DOMAIN_NAME: &str =
        "% Error: a domain name is 1 to 63 characters of letters, digits, '.', '_' and '-'.";
    /// [ours]
    pub const BAD_COMMUNITY: &str =
        "% Error: a community string is 1 to 63 characters of letters, digits, '.', '_' and '-'.";
    /// `clock set` with a time that is not HH:MM:SS. [ours]
    pub const BAD_TIME: &str = "% Error: the time is hh:mm:ss (24-hour clock): ";
    /// `clock set` with a month that is not a month's name. [ours]
    pub const BAD_MONTH: &str = "% Error: the month is its name, e.g. January or Jan: ";
    /// `clock set` with a day the month does not have. [ours]
    pub const BAD_DATE: &str = "% Error: no such date: ";
    /// An `exec` request whose command asked a question (`reload`: `Proceed with reload?[confirm]`)
    /// when the client's input ended before an answer (`ssh ce1 reload < /dev/null`): nothing was
    /// done and the request exits with status 1. [ours]
    pub const EXEC_NO_ANSWER: &str =
        "% No answer: the input ended before one was given; nothing was done.";
    /// An idle session closed by `exec-timeout`. [ours, IOS style]
    pub const IDLE_TIMEOUT: &str = "Session idle timeout expired; closing the session.";
    /// A line of the startup configuration that could not be applied on boot. [ours]
    pub const STARTUP_LINE_REJECTED: &str = "% Error in startup configuration, line ";
    /// A device folder whose startup-config is empty: the device starts with factory settings. [ours]
    pub const STARTUP_EMPTY: &str =
        "% Warning: the startup configuration is empty; starting with factory settings: ";
    /// A device folder without its versions file: the topology's version is used. [ours]
    pub const VERSIONS_MISSING: &str = "% Warning: the software versions file is missing; starting with the topology's version {version}: ";
}

/// CMS messages (spec §7). [ours unless marked; the backup lines follow real ACNS output in spirit]
pub mod cms {
    /// What `cms enable` and `no cms enable` print [recalled: WAAS 4.x, ACNS's descendant].
    pub const SENDING_REGISTRATION: &str =
        "Sending device registration request to Content Distribution Manager";
    pub const REQUESTING_FULL_UPDATE: &str =
        "Requesting a full data update from the primary Content Distribution Manager";
    pub const PRESERVE_CONFIG: &str = "Please preserve running configuration using 'copy running-config startup-config'.\nOtherwise management services will not be started on reload.";
    pub const SERVICES_ENABLED: &str = "management services enabled";
    pub const SERVICES_DISABLED: &str = "management services disabled";
    /// The two blocks of `show cms info`. [recalled: ACNS/WAAS, contract §12]
    pub const INFO_REGISTRATION: &str = "Device registration information :";
    pub const INFO_SERVICES: &str = "CMS services information :";
    pub const BACKUP_CREATING: &str = "Creating database backup file";
    pub const BACKUP_READY: &str =
        "is ready. Use the `copy' commands to move the backup file to a remote host.";
    pub const CREATED: &str = "CMS database created with schema";
    pub const DELETED: &str = "CMS database deleted.";
    pub const CONFIRM_DELETE: &str =
        "This will delete the CMS database and all its tables. Proceed?[no]:";
    pub const DELETE_ABORTED: &str = "CMS database not deleted.";
    pub const RESTORED: &str = "CMS database restored from";
    pub const VALID: &str = "CMS database is valid: schema";
    /// `cms database validate` of a sound database of another schema than the software's. [ours]
    pub const VALID_BUT_WRONG_SCHEMA: &str =
        "Note: CMS services will not start on this database: the software";
    /// After a schema mismatch: how to get a database CMS can start on. [ours]
    pub const WAY_OUT_NEWER: &str = "Use 'cms database downgrade', or on a standby 'cms database delete' then 'cms database create', or restore a backup of this version.";
    pub const WAY_OUT_OLDER: &str = "Reload to migrate it, or restore a backup of this version.";
    /// `cms database validate` of an older database (e.g. mid-procedure 7, before the install). [ours]
    pub const VALIDATE_OLDER: &str = "Install a release of schema {schema} (a downgrade), or reload to migrate the database to schema {wanted}.";
    pub const DOWNGRADED: &str = "CMS database converted from schema";
    pub const NEW_DATABASE: &str = "Generating new CMS database...";
    pub const NEED_DISABLED: &str =
        "% Error: CMS is enabled. Disable it first with 'no cms enable' in configuration mode.";
    pub const NO_DATABASE: &str = "% Error: no CMS database exists. Create one with 'cms database create' or restore a backup with 'cms database restore FILE'.";
    pub const DATABASE_EXISTS: &str =
        "% Error: a CMS database exists. Delete it first with 'cms database delete'.";
    pub const SAME_SCHEMA: &str =
        "% Error: the CMS database schema already matches the running software";
    pub const NOT_NEWER: &str = "% Error: 'cms database downgrade' converts a newer database down; this database is older than the software";
    pub const NO_FILE: &str = "% Error: no such file in /local/local1: ";
    pub const NO_CDM_IP: &str =
        "% Error: no CDM address. Configure it with 'cdm ip A.B.C.D' first.";
    pub const PRIMARY_ACTIVE: &str = "% Error: the primary CDM at ";
    pub const PRIMARY_ACTIVE_HOW: &str =
        " is still active. Set it to standby ('cdm role standby') or shut it down first.";
    pub const DEREGISTERED: &str = "Deregistered from the CDM.";
    pub const NOT_REGISTERED: &str = "% Error: this device is not registered with a CDM.";
    pub const CDM_UNREACHABLE: &str =
        "% Error: the CDM cannot be reached; use 'cms deregister force' to deregister locally.";
}

/// Software copy and install messages (spec §5). [ours, shaped like ACNS 5.x output]
pub mod install {
    pub const ASK_FTP_USER: &str = "Enter username for remote ftp server:";
    pub const ASK_FTP_PASSWORD: &str = "Enter password for remote ftp server:";
    pub const FTP_START: &str = "Initiating FTP download...";
    pub const HTTP_START: &str = "Initiating HTTP download...";
    pub const UPLOAD_START: &str = "Initiating FTP upload...";
    pub const ONE_HASH_PER_MB: &str = "printing one # per 1MB downloaded";
    pub const DOWNLOAD_DONE: &str = "download completed.";
    pub const UPLOAD_DONE: &str = "upload completed.";
    pub const VERIFYING: &str = "Verifying the software image...";
    pub const BACKING_UP: &str = "Backing up the CMS database before the upgrade:";
    pub const INSTALLING: &str = "Installing software version";
    pub const REBOOTING: &str = "The system will reboot to complete the installation.";
    pub const WRONG_KIND: &str = "% Error: this image does not support this device type";
    pub const SAME_VERSION: &str = "% Error: version {0} is already running";
    pub const NO_PATH: &str = "% Error: cannot install {1} on a device running {0}";
    pub const DOWNGRADE_IMAGE_NEEDED: &str =
        "% Error: a downgrade from 5.x to 4.2.9 needs the ACNS-5.x.x-TO-4.2.9-K9.bin image";
    pub const DISK_FULL: &str = "% Error: not enough space on /local/local1";
    /// [ours] (ACNS output for this failure was not seen).
    pub const BACKUP_FAILED: &str = "% Error: the automatic CMS database backup failed: ";
    /// [ours]
    pub const SAVE_FAILED: &str = "% Error: cannot save the configuration: ";
    /// [ours]
    pub const INSTALL_STOPPED: &str = "% Error: the installation stopped: ";
    pub const UNKNOWN_HOST: &str = "% Error: no FTP/HTTP server at ";
}

/// The status messages of an upgrade managed by the CDM [seen: seed table 7-2].
pub mod upgrade {
    pub const PROCEEDING: &str = "Proceeding with Prepositioned Download";
    pub const IN_PROGRESS: &str = "Prepositioned Download in Progress (Completed {0} MB)";
    pub const SUCCESSFUL: &str = "Prepositioned Download Successful";
    pub const FAILED: &str = "Prepositioned Download Failed";
    /// The job history entry after a failure, and the API's `reason` [ours]: why it failed.
    pub const REASON: &str = "Reason: ";
    /// Reasons [ours] (the others are the transfer's and the install's own error texts).
    pub const SERVER_CUT: &str = "the image server {0} cannot be reached from this device";
    pub const NO_SERVER: &str = "no image server at {0}";
    pub const POWER_LOST: &str = "the device lost power during the download";
    pub const STOPPED: &str = "the lab stopped before the job ended";
    pub const NOT_MANAGED: &str =
        "{name} runs {version}, which this CDM ({cdm}) does not manage: it registers with a CDM of its own release";
    pub const DEVICE_OFFLINE: &str =
        "{name} is Offline on this CDM (last heard from: {since}); only a device that is Online here can be upgraded from it";
    /// API refusals [ours].
    pub const ALREADY_REGISTERED: &str =
        "this URL is already registered; delete the registration first";
    pub const IMAGE_NOT_META: &str =
        "the URL points at a software image, not a meta file; register the meta file that describes it";
    pub const CDM_CLI_ONLY: &str =
        "a Content Distribution Manager cannot be upgraded from the CDM; use the CLI (copy ftp install)";
    pub const NOT_PRIMARY: &str = "this CDM is not the primary; use the primary CDM";
    /// What the API and the GUI say of a name or id that is not there [ours].
    pub const NO_SUCH_DEVICE: &str = "no device {0}";
    pub const NO_SUCH_GROUP: &str = "no device group {0}";
    pub const NO_SUCH_FILE: &str = "no registered update file {0}";
    pub const NO_SUCH_JOB: &str = "no job {0}";
}

/// The CDM's JSON API (`crate::api`): its own refusals, beside the upgrade ones above [ours].
pub mod api {
    /// The realm of the `WWW-Authenticate` challenges.
    pub const REALM: &str = "acnslab CDM";
    /// A request without credentials (or with a scheme the API does not take).
    pub const LOGIN_REQUIRED: &str =
        "log in: HTTP Basic with the CDM's administrator account, or a token from POST /api/login";
    /// A bearer token that is not a live login of this CDM.
    pub const BAD_TOKEN: &str =
        "the token is not a login of this CDM, or it has expired; log in again (POST /api/login)";
    /// `POST /api/login` with neither Basic credentials nor a JSON body.
    pub const LOGIN_WITHOUT_CREDENTIALS: &str =
        "give the CDM's administrator account: HTTP Basic, or {\"username\": ..., \"password\": ...}";
    /// An address under `/api/` that is no route.
    pub const NO_SUCH_PATH: &str = "no such API path: ";
    /// A route asked with a method it does not take: `{method}`, `{path}`, `{allowed}`.
    pub const METHOD_NOT_ALLOWED: &str = "{method} is not allowed on {path}; use {allowed}";
}

/// The CDM's web GUI (`crate::web`): windows, menu, panes and buttons, named as the guide names them
/// (Devices > Content Engines, Device Groups, System > Software Update, Software Update File
/// Registration, Registering New Software Update File, Modifying ..., Update Software, CDN Settings >
/// Software Upgrade/Downgrade, Show/Clear Commands > Show Commands, Device Information, Edit, Trash,
/// Submit) [seen in the guide's text; layout ours].
pub mod gui {
    pub const PRODUCT: &str = "Content Distribution Manager";
    pub const LOGIN_TITLE: &str = "Login";
    pub const USERNAME: &str = "Username";
    pub const PASSWORD: &str = "Password";
    pub const LOGIN: &str = "Login";
    pub const LOGOUT: &str = "Logout";
    pub const LOGIN_FAILED: &str = "Login failed: wrong username or password.";
    /// Too many failed logins: the window is locked for a while. [ours]
    pub const LOGIN_LOCKED: &str = "Too many failed logins: try again in {seconds} seconds.";
    pub const MENU_CDMS: &str = "Devices > CDM";
    pub const MENU_CES: &str = "Devices > Content Engines";
    pub const MENU_CRS: &str = "Devices > Content Routers";
    pub const MENU_GROUPS: &str = "Devices > Device Groups";
    pub const MENU_SOFTWARE: &str = "System > Software Update";
    pub const MENU_JOBS: &str = "Software Update Jobs";
    pub const WINDOW_CDMS: &str = "Content Distribution Managers";
    pub const WINDOW_CES: &str = "Content Engines";
    pub const WINDOW_CRS: &str = "Content Routers";
    pub const WINDOW_GROUPS: &str = "Device Groups";
    pub const WINDOW_SOFTWARE: &str = "Software Update File Registration";
    pub const WINDOW_NEW_FILE: &str = "Registering New Software Update File";
    pub const WINDOW_MODIFY_FILE: &str = "Modifying Software Update File";
    /// An unknown address [ours].
    pub const WINDOW_NOT_FOUND: &str = "Page Not Found";
    pub const NO_SUCH_PAGE: &str = "There is no such page:";
    pub const BACK_TO_DEVICES: &str = "Back to Devices > Content Engines";
    /// The Jobs page's columns and a job's window [ours].
    pub const REASON_COLUMN: &str = "Reason";
    pub const STARTED_COLUMN: &str = "Started";
    pub const CHANGED_COLUMN: &str = "Last Change";
    pub const ENTRIES: &str = "entries";
    pub const WINDOW_JOB: &str = "Software Update Job";
    pub const WINDOW_JOBS: &str = "Software Update Jobs";
    pub const MODIFYING_CDM: &str = "Modifying Content Distribution Manager";
    pub const MODIFYING_CE: &str = "Modifying Content Engine";
    pub const MODIFYING_CR: &str = "Modifying Content Router";
    pub const MODIFYING_GROUP: &str = "Modifying Device Group";
    pub const KIND_CDM: &str = "Content Distribution Manager";
    pub const KIND_CE: &str = "Content Engine";
    pub const KIND_CR: &str = "Content Router";
    pub const CONTENTS: &str = "Contents";
    pub const PANE_STATUS: &str = "Status";
    pub const PANE_UPGRADE: &str = "CDN Settings > Software Upgrade/Downgrade";
    /// [seen: the guide's procedure 1, steps 4 and 5]
    pub const PANE_CDN_STATUS: &str = "CDN Settings > Status";
    pub const PANE_SHOW: &str = "Show/Clear Commands > Show Commands";
    pub const DEVICE_INFORMATION: &str = "Device Information";
    /// A standby CDM's state as the primary last heard it (Devices > CDM). [ours]
    pub const STANDBY_STATUS: &str = "Standby Status";
    /// A failed upgrade's reason under its status message, and in Device Information. [ours]
    pub const REASON_PREFIX: &str = "Reason: ";
    pub const LAST_UPGRADE: &str = "Last Upgrade";
    pub const REPORTED: &str = "reported";
    pub const UPDATE_SOFTWARE: &str = "Update Software";
    pub const UPDATE_SOFTWARE_FOR: &str = "Update Software for";
    pub const META_URL: &str = "Software Update Meta File URL";
    pub const ADD_FILE: &str = "Add Software Update File";
    pub const EDIT: &str = "Edit";
    pub const TRASH: &str = "Trash";
    pub const SUBMIT: &str = "Submit";
    pub const DELETE: &str = "Delete";
    pub const CONFIRM_DELETE: &str = "Delete this software update file?";
    pub const NO_FILES: &str = "No software update files are registered.";
    pub const NO_JOBS: &str = "No software update jobs.";
    pub const REGISTERED: &str = "Software update file registered:";
    pub const DELETED: &str = "Software update file registration deleted:";
    pub const STARTED: &str = "Software update started; jobs:";
    pub const DEVICE_DOWN: &str =
        "The device is not running (rebooting); try again when it is online.";
}

/// System log lines (`show logging`). [ours]
pub mod log {
    pub const BOOTED: &str = "%ACNS-5-BOOT: System booted, software version";
    pub const RELOAD: &str = "%ACNS-5-RELOAD: Reload requested";
    pub const CONFIG_SAVED: &str = "%ACNS-5-CONFIG: Configuration saved to startup-config";
    pub const CONFIG_ERASED: &str = "%ACNS-5-CONFIG: Startup configuration erased";
    pub const CLOCK_SET: &str = "%ACNS-5-CLOCK: System clock set to";
    pub const HEADER: &str = "System log (newest last):";
    pub const DOWNLOAD_STARTED: &str = "%ACNS-6-DOWNLOAD: Download started:";
    pub const DOWNLOAD_DONE: &str = "%ACNS-6-DOWNLOAD: Download completed:";
    pub const DOWNLOAD_FAILED: &str = "%ACNS-3-DOWNLOAD: Download failed:";
    /// The CMS database's life on a CDM, and its CMS service. [ours]
    pub const DATABASE_CREATED: &str = "%ACNS-5-CMS: CMS database created with schema";
    pub const DATABASE_DELETED: &str = "%ACNS-5-CMS: CMS database deleted";
    pub const DATABASE_RESTORED: &str = "%ACNS-5-CMS: CMS database restored from";
    pub const DATABASE_BACKED_UP: &str = "%ACNS-5-CMS: CMS database backed up to";
    pub const CMS_ENABLED: &str = "%ACNS-5-CMS: CMS services enabled";
    pub const CMS_DISABLED: &str = "%ACNS-5-CMS: CMS services disabled";
    pub const UPLOAD_STARTED: &str = "%ACNS-6-UPLOAD: Upload started:";
    pub const UPLOAD_DONE: &str = "%ACNS-6-UPLOAD: Upload completed:";
    pub const UPLOAD_FAILED: &str = "%ACNS-3-UPLOAD: Upload failed:";
    pub const INSTALLED: &str = "%ACNS-5-INSTALL: Software installed, version after reboot:";
    /// A CE's or CR's registration refused by its CDM (logged when the refusal changes). [ours]
    pub const REGISTRATION_REFUSED: &str =
        "%ACNS-4-CMS: Registration refused by the CDM {cdm}: {why}";
    /// A standby CDM's new state, then its line (`crate::standby::StandbyState::line`). [ours]
    pub const STANDBY_STATE: &str = "%ACNS-5-CMS: Standby CDM status:";
    /// `cms enable` on a standby CDM. [ours; the guide: the standby then requests a full update]
    pub const FULL_UPDATE_REQUESTED: &str =
        "%ACNS-5-CMS: Full data update requested from the primary CDM {primary}";
    /// On the primary, when it sends a standby the whole database. [ours]
    pub const FULL_UPDATE_SENT: &str =
        "%ACNS-5-CMS: Full data update sent to the standby CDM {name}: {rows} rows";
    /// On the standby, when the full update is in its database. [ours]
    pub const FULL_UPDATE_APPLIED: &str =
        "%ACNS-5-CMS: Full data update from the primary CDM {primary} applied: {rows} rows";
}

/// The disk commands: `cd`, `pwd`, `dir`, `ls`, `lls`, `type`, `type-tail`, `mkdir`, `rmdir`,
/// `deltree`, `mkfile`, `rename`, `delfile`, `cpfile`. Their names and arguments are ACNS's [seen:
/// the command list of the Cisco ACNS Software Command Reference 5.0, cisco.com
/// docs/app_ntwk_services/waas/acns/v50/command/reference/14623ref.html]; the disk shown as
/// `/local1` [seen: contract §12]. Layouts and messages as marked.
pub mod files {
    /// `dir`'s header and rule. [ours; the column names recalled from WAAS 4.x `dir`]
    pub const DIR_HEADER: &str = "         size          time of last change             name";
    pub const DIR_RULE: &str = "--------------  -------------------------  -----------";
    /// A directory's row in `dir`: a size of 4096 and `<DIR>` before its name [recalled: WAAS 4.x
    /// `dir`, rows like `4096 Sun Jan 23 01:02:03 2005 <DIR>  logs`; no capture of ours].
    pub const DIR_MARK: &str = "<DIR>  ";
    pub const DIR_SIZE: u64 = 4096;
    /// `lls`: the mode, links and owner columns of `ls -l`. [ours: the `ls -l` layout of the Linux
    /// the ACNS base system runs]
    pub const LLS_DIR_MODE: &str = "drwxr-xr-x  2";
    pub const LLS_FILE_MODE: &str = "-rw-r--r--  1";
    pub const LLS_OWNER: &str = "admin    root";
    /// `deltree DIR`, before [`super::prompt::DELTREE_PROCEED`]. [ours]
    pub const DELTREE_WARNING: &str =
        "The directory {0} and every file and directory in it will be deleted.";
    /// `deltree` answered no. [ours]
    pub const DELTREE_ABORTED: &str = "Directory not deleted.";
    /// Refusals, each followed by the name as typed. [ours]
    pub const OUTSIDE: &str = "% Error: only files and directories under /local1 can be named: ";
    pub const THROUGH_LINK: &str = "% Error: symbolic links under /local1 are not followed: ";
    pub const IS_A_DIRECTORY: &str =
        "% Error: is a directory (use 'rmdir' or 'deltree' to delete one): ";
    pub const NOT_A_DIRECTORY: &str = "% Error: not a directory: ";
    pub const ALREADY_EXISTS: &str = "% Error: already exists: ";
    pub const NOT_EMPTY: &str =
        "% Error: the directory is not empty (use 'deltree' to delete it with its contents): ";
    pub const BINARY: &str = "% Error: not a text file: ";
    pub const IO_FAILED: &str = "% Error: cannot complete the operation on ";
    /// `rmdir`, `deltree` or `rename` of `/local1` itself. [ours]
    pub const THE_DISK_ITSELF: &str = "% Error: /local1 itself cannot be removed or renamed.";
}

/// The fixed lines of `show version` [seen: real 5.3.3 capture].
pub mod version {
    pub const PRODUCT: &str = "Application and Content Networking System Software (ACNS)";
    pub const COPYRIGHT: &str = "Copyright (c) 1999-2005 by Cisco Systems, Inc.";
    pub const RELEASE_PREFIX: &str = "Application and Content Networking System Software Release";
    pub const COMPILE_OPTIONS: &str = "Compile Time Options: PP SS";
    pub const RESTARTED_ON: &str = "System was restarted on";
    pub const UP_FOR: &str = "The system has been up for";
}

/// Fixed lines of other `show` outputs. [ours unless marked]
pub mod show {
    pub const PRIVILEGE: &str = "Current privilege level is";
    pub const DEVICE_MODE: &str = "Current device mode:";
    /// `show device-mode configured`. [recalled: WAAS 4.x]
    pub const CONFIGURED_DEVICE_MODE: &str = "Configured device mode:";
    pub const CONFIG_HEADER: &str = "! ACNS version";
    pub const CONFIG_FOOTER: &str = "! End of ACNS configuration";
    pub const USERS_HEADER: &str =
        "    Line       User          Host(s)              Idle       Location";
    pub const TERMINAL_LENGTH: &str = "Length:";
    pub const TERMINAL_WIDTH: &str = "Width:";
}

/// `show clock detail`, `show ntp status` [recalled: WAAS 4.x, whose CLI is ACNS's; `Time source` ours].
pub mod clock {
    pub const LOCAL: &str = "Local time:";
    pub const UTC: &str = "UTC time:";
    pub const EPOCH: &str = "Epoch:";
    pub const UTC_OFFSET: &str = "UTC offset:";
    /// [ours]
    pub const SOURCE: &str = "Time source:";
    /// [ours]
    pub const SOURCE_HARDWARE: &str = "hardware clock";
    /// [ours]
    pub const SOURCE_MANUAL: &str = "set manually (clock set)";
    /// [ours]
    pub const SOURCE_NTP: &str = "NTP server";
    pub const NTP_DISABLED: &str = "NTP disabled";
    pub const NTP_ENABLED: &str = "NTP enabled";
    pub const NTP_SERVER_LIST: &str = "Server list:";
    /// The `ntpq -p` table ACNS's `show ntp status` prints under the server list.
    pub const NTP_TABLE_HEADER: &str =
        "     remote           refid      st t when poll reach   delay   offset  jitter";
    pub const NTP_TABLE_RULE: &str =
        "==============================================================================";
}

/// `show processes`, `show memory` [recalled: WAAS 4.x layouts; figures ours, derived from the
/// device's state], `show services`, `show statistics ...` [ours, in ACNS style].
pub mod status {
    pub const CPU_USAGE: &str = "CPU Usage:";
    pub const PROCESS_RULE: &str =
        "--------------------------------------------------------------------";
    pub const PROCESS_HEADER: &str = "  PID STATE PRI User T  SYS T     COMMAND";
    pub const PROCESS_HEADER_RULE: &str = "----- ----- --- ------ ------ --------------------";
    pub const MEMORY_ROWS: [&str; 6] = [
        "Total physical memory",
        "Total free memory",
        "Total memory buffers",
        "Total cached memory",
        "Total swap",
        "Total free swap",
    ];
    /// [ours]
    pub const SERVICES_HEADER: &str = "Service          Protocol  Port   State";
    /// [ours]
    pub const SERVICES_RULE: &str = "---------------  --------  -----  ------------------------";
    /// [ours]
    pub const RUNNING: &str = "running";
    /// [ours]
    pub const NOT_RUNNING: &str = "not running";
    /// [ours]
    pub const NOT_CONFIGURED: &str = "not configured";
    /// `show statistics services` [ours].
    pub const SERVICES_TITLE: &str = "Services statistics since the last boot:";
    /// `show statistics tcp` [ours; row names after the Linux netstat counters ACNS's base
    /// system keeps].
    pub const TCP_TITLE: &str = "TCP statistics since the last boot:";
    /// The separator line of `show tech-support` around each command's name.
    /// [recalled: IOS and ACNS `show tech-support`]
    pub const TECH_SUPPORT_RULE: &str = "------------------";
}

/// The `show hardware` body after the version block [ours, shaped like ACNS 5.x].
pub fn hardware_lines(model: &str, memory_mb: u32, interfaces: usize) -> Vec<String> {
    vec![
        String::new(),
        "CPU 0 is GenuineIntel Intel(R) Pentium(R) 4 CPU 2.80GHz (rev 2) running at 2800MHz."
            .into(),
        "Total 1 CPU.".into(),
        format!("{memory_mb} Mbytes of Physical memory."),
        format!("{interfaces} GigabitEthernet interfaces"),
        "1 Console interface".into(),
        String::new(),
        "Cookie info:".into(),
        format!("  Model: {model}"),
        String::new(),
        "List of disk drives:".into(),
        "/dev/sda".into(),
    ]
}

/// The `show disks details` output [ours, shaped like ACNS 5.x].
pub fn disks_details_lines(disk_mb: u64, used_mb: u64) -> Vec<String> {
    vec![
        format!("disk00: Normal                 (h00 c00 i00 l00 - DAS)     {disk_mb}MB"),
        String::new(),
        "Mounted filesystems:".into(),
        "  MOUNT POINT      TYPE       DEVICE          SIZE     INUSE      FREE USE%".into(),
        format!(
            "  /local/local1    SYSFS      /dev/data1   {:>7}MB {:>6}MB {:>7}MB {:>3}%",
            disk_mb,
            used_mb,
            disk_mb.saturating_sub(used_mb),
            used_mb * 100 / disk_mb.max(1)
        ),
    ]
}

/// The lab network seen from a device: `ping`, `traceroute`, `dnslookup`, `show interface`,
/// `show ip routes`, `show arp`. ACNS 5.x runs the Linux tools of its day underneath: `ping` prints
/// the header and replies of iputils and the statistics of the contract (§12: `N packets
/// transmitted, N packets received, 0% packet loss` / `round-trip min/avg/max`); `traceroute` what
/// LBL traceroute 1.4 prints. The layouts below are [recalled] from those tools, the contract and
/// WAAS 4.x (ACNS's descendant, same CLI), not captured on an ACNS device. The formatting of numbers is in `crate::probe` and `commands::net`.
pub mod net {
    /// `ping` header: `PING HOST (IP) from SRC : 56(84) bytes of data.` [recalled, iputils]
    pub const PING_DATA: &str = "56(84) bytes of data.";
    /// `ping` or `traceroute` of a name nothing resolves. [recalled, iputils]
    pub const PING_UNKNOWN_HOST: &str = "ping: unknown host ";
    /// [recalled, LBL traceroute]
    pub const TRACEROUTE_UNKNOWN_HOST: &str = "traceroute: unknown host ";
    /// `ping` from a device whose interface is down (no route at all). [recalled, iputils]
    pub const PING_NO_ROUTE: &str = "connect: Network is unreachable";
    /// `ping` whose device's interface goes down during the run. [recalled, iputils]
    pub const PING_SENDMSG: &str = "ping: sendmsg: Network is unreachable";
    /// `traceroute` likewise. [recalled, LBL traceroute]
    pub const TRACEROUTE_NO_ROUTE: &str = "traceroute: sendto: Network is unreachable";
    /// ARP found nobody on the subnet. [recalled, iputils]
    pub const HOST_UNREACHABLE: &str = "Destination Host Unreachable";
    /// The gateway has no route to the address. [recalled, iputils]
    pub const NET_UNREACHABLE: &str = "Destination Net Unreachable";
    /// `dnslookup` answer rows. [recalled, WAAS 4.x]
    pub const OFFICIAL_HOSTNAME: &str = "official hostname: ";
    pub const ADDRESS: &str = "          address: ";
    /// `dnslookup` of a name the lab does not know. [ours]
    pub const LOOKUP_FAILED: &str = "% Error: host not found: ";
    /// `show interface` of an interface the device does not have. [ours, IOS style]
    pub const NO_INTERFACE: &str = "% Error: no such interface: GigabitEthernet ";
    /// `show ip routes` header. [recalled, WAAS 4.x]
    pub const ROUTES_HEADER: &str =
        "Destination      Gateway          Netmask\n---------------- ---------------- ----------------";
    /// `show arp` header. [recalled, WAAS 4.x]
    pub const ARP_HEADER: &str =
        "Protocol  Address          Flags      Hardware Addr     Type  Interface";
}
