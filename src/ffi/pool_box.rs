//! Rust objects owned by an APR pool: how the keys derived from the
//! admin's secrets ride in httpd's per-directory configuration, which is C.
//! The pointer C keeps is checked when it comes back.

use std::ffi::c_void;

use super::bindings::{apr_pool_cleanup_null, apr_pool_cleanup_register, apr_status_t};
use super::httpd::Pool;

impl Pool<'_> {
    /// Moves `value` into memory this pool frees (dropping it) when it is
    /// destroyed or cleared, and gives C a pointer to it: how an object
    /// owned by Rust rides in httpd's configuration. [`PoolBox::get`] turns
    /// the pointer back into a reference.
    pub(super) fn keep<T>(self, value: T) -> *mut PoolBox<T> {
        let boxed = Box::into_raw(Box::new(PoolBox {
            magic: PoolBox::<T>::MAGIC,
            value,
        }));
        // SAFETY: the cleanup gets the pointer just made and is run once by
        // APR, when the pool goes; nothing uses the pointer after that
        // (configuration structs live in the same pool).
        unsafe {
            apr_pool_cleanup_register(
                self.as_ptr(),
                boxed.cast::<c_void>(),
                Some(drop_pool_box::<T>),
                Some(apr_pool_cleanup_null),
            );
        }
        boxed
    }
}

/// A Rust value owned by an APR pool (see [`Pool::keep`]), behind a tag
/// that tells a pointer to it from any other pointer C might hand back.
#[repr(C)]
pub(super) struct PoolBox<T> {
    magic: u64,
    value: T,
}

impl<T> PoolBox<T> {
    /// Different for each value type of the same size, alignment and name
    /// length; a pointer of another kind is refused, not misread.
    const MAGIC: u64 =
        0x5343_5242_4f58_0000 ^ (size_of::<T>() as u64) << 8 ^ align_of::<T>() as u64;

    /// The value behind a pointer [`Pool::keep`] made.
    ///
    /// # Safety
    /// `p` is NULL or came from `Pool::keep::<T>` of a pool that is alive
    /// for `'a`.
    pub(super) unsafe fn get<'a>(p: *const PoolBox<T>) -> Option<&'a T> {
        // SAFETY: per the contract above.
        let boxed = unsafe { p.as_ref() }?;
        assert_eq!(boxed.magic, Self::MAGIC, "not a PoolBox of this type");
        Some(&boxed.value)
    }

    /// The value behind a pointer [`Pool::keep`] made, to change while the
    /// configuration is read.
    ///
    /// # Safety
    /// As for [`PoolBox::get`], and no other reference to it is in use.
    pub(super) unsafe fn get_mut<'a>(p: *mut PoolBox<T>) -> Option<&'a mut T> {
        // SAFETY: per the contract above.
        let boxed = unsafe { p.as_mut() }?;
        assert_eq!(boxed.magic, Self::MAGIC, "not a PoolBox of this type");
        Some(&mut boxed.value)
    }
}

unsafe extern "C" fn drop_pool_box<T>(data: *mut c_void) -> apr_status_t {
    super::guarded(
        || super::bindings::APR_EGENERAL as apr_status_t,
        || {
            // SAFETY: `data` is the pointer Pool::keep registered; APR runs
            // the cleanup once.
            drop(unsafe { Box::from_raw(data.cast::<PoolBox<T>>()) });
            0
        },
    )
}
