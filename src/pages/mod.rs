//! The field app's screens (one per route of [`crate::app::FieldApp`]).
pub mod home;
pub mod not_found;
pub mod org_new;
pub mod org_page;
pub mod orgs;
pub mod signin;
pub mod storage_panel;
pub mod visit_form;
pub mod visits;
