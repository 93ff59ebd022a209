pub mod header;
pub mod lang_toggle;
pub mod net_badge;
pub mod visit_list;
