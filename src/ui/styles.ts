// The setup page's stylesheet, inlined into the page and allowed by its hash in the
// Content-Security-Policy (no style attributes are used, so no 'unsafe-inline' is needed).
export const STYLES = `
:root{color-scheme:light;--fg:#1b1b1b;--muted:#5c5c5c;--line:#d6d6d6;--bg:#faf9f8;--card:#fff;
--accent:#0f6cbd;--ok:#107c10;--okbg:#dff6dd;--warn:#8a5300;--warnbg:#fff4ce;--bad:#a4262c;--badbg:#fde7e9}
*{box-sizing:border-box}
body{margin:0;font:15px/1.5 system-ui,-apple-system,"Segoe UI",sans-serif;color:var(--fg);background:var(--bg)}
header{display:flex;flex-wrap:wrap;align-items:center;gap:.25rem 1rem;padding:.75rem 1.5rem;background:#fff;border-bottom:1px solid var(--line)}
header h1{font-size:1.15rem;margin:0;flex:1 1 14rem}
main{max-width:64rem;margin:0 auto;padding:1rem 1.5rem 4rem}
section{background:var(--card);border:1px solid var(--line);border-radius:.5rem;padding:1rem 1.25rem;margin:1rem 0}
h2{font-size:1.1rem;margin:0 0 .75rem}
h3{font-size:1rem;margin:.75rem 0 .5rem}
[hidden]{display:none!important}
label{display:block;font-weight:600;font-size:.9rem;margin:.5rem 0 .2rem}
.hint{font-weight:400;color:var(--muted);font-size:.85rem}
input,select{font:inherit;padding:.35rem .5rem;border:1px solid #8a8886;border-radius:.25rem;min-width:14rem;max-width:100%}
input[type=checkbox]{min-width:0}
.check{display:flex;gap:.5rem;align-items:center;font-weight:400}
button{font:inherit;padding:.35rem .8rem;border:1px solid #8a8886;border-radius:.25rem;background:#fff;cursor:pointer}
button.primary{background:var(--accent);border-color:var(--accent);color:#fff}
button:disabled{opacity:.55;cursor:default}
:focus-visible{outline:3px solid #4f9be8;outline-offset:2px}
.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(15rem,1fr));gap:0 1rem}
.actions{display:flex;flex-wrap:wrap;gap:.5rem;margin-top:.75rem}
.cards{list-style:none;margin:0;padding:0}
.card{border:1px solid var(--line);border-radius:.4rem;padding:.75rem 1rem;margin:.5rem 0}
.card-head{display:flex;flex-wrap:wrap;align-items:center;gap:.6rem}
.card-head strong{font-size:1.02rem}
.meta{color:var(--muted);font-size:.88rem;margin:.25rem 0 0}
.chip{display:inline-block;border-radius:1rem;padding:.05rem .6rem;font-size:.8rem;font-weight:600;border:1px solid}
.chip-authorized{color:var(--ok);background:var(--okbg);border-color:var(--ok)}
.chip-reauth-required{color:var(--warn);background:var(--warnbg);border-color:var(--warn)}
.chip-error{color:var(--bad);background:var(--badbg);border-color:var(--bad)}
.chip-new{color:var(--muted);background:#f3f2f1;border-color:#8a8886}
.reason{margin:.4rem 0 0;padding:.4rem .6rem;border-left:3px solid var(--warn);background:var(--warnbg)}
.error{color:var(--bad);background:var(--badbg);border-left:3px solid var(--bad);padding:.4rem .6rem;margin:.5rem 0}
.notice{color:var(--ok);margin:.5rem 0}
.panel{border-top:1px dashed var(--line);margin-top:.75rem;padding-top:.5rem}
.crumbs{font-family:ui-monospace,monospace;margin:.25rem 0}
.list{list-style:none;padding:0;margin:.25rem 0;max-height:16rem;overflow:auto;border:1px solid var(--line);border-radius:.25rem}
.list li{display:flex;justify-content:space-between;align-items:center;gap:.5rem;padding:.25rem .5rem;border-bottom:1px solid #eee}
.list li:last-child{border-bottom:0}
.list li button{flex-shrink:0}
.steps{list-style:none;padding:0;margin:.25rem 0}
.steps li{padding:.2rem 0}
.step-ok::before{content:"\\2713  ";color:var(--ok);font-weight:700}
.step-failed::before{content:"\\2717  ";color:var(--bad);font-weight:700}
.step-skipped::before{content:"\\2013  ";color:var(--muted)}
.cron-words{color:var(--muted);font-style:italic;margin-left:.5rem}
.progress{margin:.5rem 0}
progress{width:100%;height:1rem;-webkit-appearance:none;appearance:none;border:0;border-radius:.5rem;background:#e1dfdd;overflow:hidden}
progress::-webkit-progress-bar{background:#e1dfdd}
progress::-webkit-progress-value{background:var(--accent)}
progress::-moz-progress-bar{background:var(--accent)}
dl.figures{display:grid;grid-template-columns:max-content 1fr;gap:.15rem 1rem;margin:.5rem 0}
dl.figures dt{font-weight:600}
dl.figures dd{margin:0}
.status-succeeded{color:var(--ok);font-weight:700}
.status-failed,.status-timed-out{color:var(--bad);font-weight:700}
.status-partially-failed{color:var(--warn);font-weight:700}
.failures li{color:var(--bad)}
code,.mono{font-family:ui-monospace,monospace;overflow-wrap:anywhere}
.card,.meta,.failures li,.inflight li,.list li>span,.reason,.error,.notice{overflow-wrap:anywhere;min-width:0}
.field-error{color:var(--bad);font-size:.85rem;margin:.2rem 0 0}
[aria-invalid=true]{border-color:var(--bad);outline:1px solid var(--bad)}
.schedule-row{display:flex;flex-wrap:wrap;gap:0 1rem;align-items:flex-end}
.schedule-row .cron-field{flex:1 1 16rem}
.advanced{margin:.75rem 0}
.advanced summary{cursor:pointer;color:var(--muted)}
.health-box{margin:.4rem 0}
.health{margin:.25rem 0}
.health.ok strong{color:var(--ok)}
.health.bad strong{color:var(--bad)}
.health .why{color:var(--bad)}
.strip{display:flex;flex-wrap:wrap;align-items:center;gap:.5rem;margin:.35rem 0}
.strip .meta{margin:0}
.marks{display:flex;flex-wrap:wrap;gap:2px}
.mark{display:inline-block;width:.6rem;height:1.1rem;border-radius:2px;background:#c8c6c4}
.mark-succeeded{background:var(--ok)}
.mark-partially-failed{background:#d69a00}
.mark-failed,.mark-timed-out{background:var(--bad)}
.mark-running,.mark-queued{background:var(--accent)}
.run-box{margin:.75rem 0 0;padding:.75rem;border:1px solid var(--accent);border-radius:.4rem;background:#f5f9fd}
.run-box h3{margin-top:0}
.run-box h4,.panel h4{font-size:.95rem;margin:.6rem 0 .25rem}
progress.bad::-webkit-progress-value{background:var(--bad)}
progress.bad::-moz-progress-bar{background:var(--bad)}
progress.warn::-webkit-progress-value{background:#d69a00}
progress.warn::-moz-progress-bar{background:#d69a00}
.inflight{margin:.25rem 0;padding-left:1.2rem}
.chart-box{margin:.5rem 0;max-width:36rem}
.chart{width:100%;height:auto;display:block;background:#fff;border:1px solid var(--line);border-radius:.25rem}
.chart-area{fill:#cfe4f7}
.chart-line{fill:none;stroke:var(--accent);stroke-width:1.5}
.chart-dot{fill:#1b1b1b}
.chart-label{font-size:8px;fill:var(--muted)}
.bar-succeeded{fill:var(--ok)}
.bar-partially-failed{fill:#d69a00}
.bar-failed,.bar-timed-out{fill:var(--bad)}
@media (max-width:600px){
header{padding:.5rem .75rem}
main{padding:.5rem .6rem 3rem}
section{padding:.75rem}
.card{padding:.6rem}
input,select{min-width:0;width:100%}
input[type=checkbox]{width:auto}
.list li{flex-wrap:wrap}
dl.figures{grid-template-columns:1fr}
dl.figures dd{margin-bottom:.3rem}
}
`;
