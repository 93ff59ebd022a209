//! The annual report (Báo cáo kết quả thực hiện Kế hoạch), a printable page
//! with the Phụ lục 1 table, for the alliance to send before 10 December.
use crate::components::loaded::loaded;
use crate::console::dashboard::{dashboard_resource, IndicatorTable};
use crate::data::pick;
use crate::i18n::{t, use_i18n};
use htx_core::format::format_date_vn;
use leptos::prelude::*;

#[component]
pub fn ReportPage() -> impl IntoView {
    let i18n = use_i18n();
    let data = dashboard_resource();
    let print = |_| {
        if let Some(w) = web_sys::window() {
            let _ = w.print();
        }
    };
    view! {
        <main class="page wide report" data-testid="report-page">
            <p class="no-print"><button on:click=print data-testid="print-report">{t!(i18n, print)}</button></p>
            {move || loaded(data.get(), |d| {
                    let place = d.place.as_ref().map(|p| p.name.clone()).unwrap_or_else(|| pick("toàn tỉnh (trong phạm vi được giao)", "the whole assigned scope").to_string());
                    let today = format_date_vn(chrono::Utc::now().with_timezone(&htx_core::time::VN_OFFSET).date_naive());
                    let group = d.report.groups.first().cloned();
                    let basis = if d.only_reviewed { pick("các lượt khảo sát đã được duyệt", "approved visits only") } else { pick("mọi lượt khảo sát đã đồng bộ (chưa duyệt hết)", "every synced visit (not all reviewed)") };
                    view! {
                        <header class="report-head">
                            <p>"LIÊN MINH HỢP TÁC XÃ TỈNH"</p>
                            <h1 data-testid="report-title">{format!("BÁO CÁO KẾT QUẢ THỰC HIỆN KẾ HOẠCH NĂM {}", d.year)}</h1>
                            <p>"Thực hiện Kế hoạch số 251/KH-UBND về phát triển kinh tế tập thể, hợp tác xã"</p>
                            <p class="muted">{format!("{}: {place} · {}: {basis} · {}: {today}", pick("Địa bàn", "Place"), pick("Số liệu từ", "Figures from"), pick("Ngày lập", "Prepared on"))}</p>
                        </header>
                        {group.map(|g| {
                            let (orgs, without) = (g.organisations, g.organisations_without_visit);
                            view! {
                                <section>
                                    <h2>"I. Tình hình chung"</h2>
                                    <p>{format!("Tổng số tổ chức kinh tế tập thể trong phạm vi báo cáo: {orgs}; trong đó {without} tổ chức chưa có lượt khảo sát trong năm {} (số liệu của các tổ chức này chưa được tính).", d.year)}</p>
                                    <h2>"II. Phụ lục 1: Kết quả thực hiện các chỉ tiêu"</h2>
                                    <IndicatorTable values=g.indicators />
                                    {(!d.not_measured.is_empty()).then(|| view! {
                                        <p class="small">{d.not_measured.iter().map(|n| format!("{}: {}. ", n.label_vi, n.reason_vi)).collect::<String>()}</p>
                                    })}
                                    <h2>"III. Tổ chức chưa được khảo sát trong năm"</h2>
                                    <ol class="small">{d.organisations_without_visit.iter().map(|o| view! { <li>{format!("{} ({}) — {}", o.name, o.registration_code.clone().unwrap_or_default(), o.place_name)}</li> }).collect_view()}</ol>
                                </section>
                            }
                        })}
                        <footer class="report-sign"><p>"NGƯỜI LẬP BÁO CÁO"</p><p class="muted">"(Ký, ghi rõ họ tên)"</p></footer>
                    }.into_any()
                })}
        </main>
    }
}
