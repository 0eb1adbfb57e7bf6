/* The hooks on the session text that both modules register (the Rust side:
 * src/ffi/session_text.rs, src/ffi/session_encode.rs), registered in one
 * place so that their order around mod_session's own is the same in both. */
#ifndef SCR_SESSION_TEXT_H
#define SCR_SESSION_TEXT_H

#include "rust_entry.h"

void scr_register_text_hooks(const scr_text_entries *text);

#endif
