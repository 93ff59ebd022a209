pub mod field_input;
pub mod geo;
pub mod header;
pub mod lang_toggle;
pub mod net_badge;
pub mod score_sheet;
pub mod sync_panel;
pub mod visit_list;
