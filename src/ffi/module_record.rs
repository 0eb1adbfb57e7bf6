//! The exported module records that `LoadModule` looks up:
//! `session_cookie_module` and `session_crypto_module`.
//!
//! It lives in Rust because a Rust cdylib exports only Rust symbols: a
//! record defined in the C shim would stay hidden inside the `.so`. It points
//! at the shim's command table and hook registration. Its name is the stock
//! module's, `mod_session_cookie.c`, so `<IfModule mod_session_cookie.c>` and
//! `LogLevel session_cookie:debug` work as they do with stock; likewise
//! `mod_session_crypto.c` for `session_crypto_module`.

use std::ptr;

use super::bindings::{
    MODULE_MAGIC_COOKIE, MODULE_MAGIC_NUMBER_MAJOR, MODULE_MAGIC_NUMBER_MINOR, command_rec,
    module_struct, scr_cookie_cmds, scr_cookie_create_dir_config, scr_cookie_merge_dir_config,
    scr_cookie_register_hooks, scr_crypto_cmds, scr_crypto_create_dir_config,
    scr_crypto_create_server_config, scr_crypto_merge_dir_config, scr_crypto_register_hooks,
};

/// httpd writes `module_index` and links `next` at load time, hence `mut`;
/// nothing in Rust reads or writes it.
#[unsafe(no_mangle)]
pub static mut session_cookie_module: module_struct = module_struct {
    version: MODULE_MAGIC_NUMBER_MAJOR as _,
    minor_version: MODULE_MAGIC_NUMBER_MINOR as _,
    module_index: -1,
    name: c"mod_session_cookie.c".as_ptr(),
    dynamic_load_handle: ptr::null_mut(),
    next: ptr::null_mut(),
    magic: MODULE_MAGIC_COOKIE as _,
    rewrite_args: None,
    create_dir_config: Some(scr_cookie_create_dir_config),
    merge_dir_config: Some(scr_cookie_merge_dir_config),
    create_server_config: None,
    merge_server_config: None,
    cmds: (&raw const scr_cookie_cmds).cast::<command_rec>(),
    register_hooks: Some(scr_cookie_register_hooks),
    flags: 0,
};

#[unsafe(no_mangle)]
pub static mut session_crypto_module: module_struct = module_struct {
    version: MODULE_MAGIC_NUMBER_MAJOR as _,
    minor_version: MODULE_MAGIC_NUMBER_MINOR as _,
    module_index: -1,
    name: c"mod_session_crypto.c".as_ptr(),
    dynamic_load_handle: ptr::null_mut(),
    next: ptr::null_mut(),
    magic: MODULE_MAGIC_COOKIE as _,
    rewrite_args: None,
    create_dir_config: Some(scr_crypto_create_dir_config),
    merge_dir_config: Some(scr_crypto_merge_dir_config),
    create_server_config: Some(scr_crypto_create_server_config),
    merge_server_config: None,
    cmds: (&raw const scr_crypto_cmds).cast::<command_rec>(),
    register_hooks: Some(scr_crypto_register_hooks),
    flags: 0,
};
