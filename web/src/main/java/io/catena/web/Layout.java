package io.catena.web;

import java.util.List;
import java.util.Map;

/** The frame of every dashboard page: header, tabs, style, and the script that keeps the content live. Stateless. */
final class Layout {
  private static final String STYLE = """
      :root{--bg:#f4f6f9;--panel:#fff;--ink:#1d2433;--muted:#6b7385;--line:#e2e6ee;--accent:#2f6fde;
        --ok:#1f9d55;--warn:#d98b0b;--bad:#d63b3b;--info:#2f6fde}
      *{box-sizing:border-box}body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;
        background:var(--bg);color:var(--ink)}
      header{background:#18202f;color:#fff;padding:10px 24px;display:flex;align-items:center;gap:24px}
      header h1{font-size:18px;margin:0;font-weight:600;letter-spacing:.3px}header h1 span{color:#8fb3ff}
      nav{display:flex;gap:4px;flex-wrap:wrap}nav a{color:#c8d3ea;text-decoration:none;padding:6px 12px;
        border-radius:6px}nav a:hover{background:#26324a}nav a.active{background:var(--accent);color:#fff}
      #updated{margin-left:auto;font-size:12px;color:#9fb0cc}#updated.stale{color:#ff9b9b}
      main{padding:18px 24px;max-width:1400px}h2{font-size:16px;margin:22px 0 10px}h2 small{font-weight:normal}
      .cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(210px,1fr));gap:12px}
      .card{background:var(--panel);border:1px solid var(--line);border-radius:10px;padding:12px 14px}
      .card .title{font-size:12px;text-transform:uppercase;color:var(--muted);letter-spacing:.5px}
      .card .value{font-size:22px;font-weight:600;margin:4px 0}.card .detail{color:var(--muted);font-size:13px}
      table{border-collapse:collapse;width:100%;background:var(--panel);border:1px solid var(--line);
        border-radius:10px;overflow:hidden}th,td{text-align:left;padding:7px 10px;border-bottom:1px solid var(--line);
        white-space:nowrap}th{background:#eef1f6;font-size:12px;text-transform:uppercase;color:var(--muted);
        letter-spacing:.4px}tr:last-child td{border-bottom:0}tbody tr:hover{background:#f7f9fc}
      td.members{white-space:normal}.member{display:inline-block;margin:2px 0}.member small{color:var(--muted)}
      .arrow{color:var(--muted)}.muted{color:var(--muted)}
      .badge{display:inline-block;padding:1px 8px;border-radius:10px;font-size:12px;font-weight:600;color:#fff}
      .badge.ok{background:var(--ok)}.badge.warn{background:var(--warn)}.badge.bad{background:var(--bad)}
      .badge.info{background:var(--info)}.badge.muted{background:#9aa3b5}
      .bar{height:8px;background:#e7ebf2;border-radius:4px;overflow:hidden;min-width:80px;margin-top:4px}
      .bar .fill{height:100%}.bar .fill.ok{background:var(--accent)}.bar .fill.bad{background:var(--bad)}
      .alert{background:#fdecec;border:1px solid #f5c2c2;color:#8a1f1f;padding:8px 12px;border-radius:8px}
      .charts{display:grid;grid-template-columns:repeat(auto-fill,minmax(460px,1fr));gap:12px;margin-top:14px}
      figure.chart{margin:0;background:var(--panel);border:1px solid var(--line);border-radius:10px;padding:10px}
      figcaption{font-size:13px;color:var(--muted);margin-bottom:4px}figcaption b{color:var(--ink);float:right}
      svg{width:100%;height:auto}.grid{stroke:#e7ebf2}.axis{fill:var(--muted);font-size:11px}
      .line{fill:none;stroke:var(--accent);stroke-width:2}
      """;

  private static final String SCRIPT = """
      (function(){
        var main=document.getElementById('content'),stamp=document.getElementById('updated');
        function tick(){
          fetch(location.pathname+'?fragment=1',{cache:'no-store',credentials:'same-origin'})
            .then(function(r){if(!r.ok)throw new Error('HTTP '+r.status);return r.text();})
            .then(function(html){main.innerHTML=html;stamp.textContent='live, updated '
              +new Date().toISOString().substring(11,19)+' UTC';stamp.className='live';})
            .catch(function(e){stamp.textContent='disconnected ('+e.message+')';stamp.className='stale';})
            .then(function(){setTimeout(tick,EVERY);});
        }
        setTimeout(tick,EVERY);
      })();
      """;

  private Layout() {}

  static String page(String clusterId, String path, String title, List<Map.Entry<String, String>> tabs, String main,
      long now, long refreshMillis) {
    StringBuilder sb = new StringBuilder(main.length() + 8192);
    sb.append("<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\""
        + "width=device-width,initial-scale=1\"><title>").append(Html.esc(title)).append(" · Catena ")
        .append(Html.esc(clusterId)).append("</title><style>").append(STYLE).append("</style></head><body><header>")
        .append("<h1>Catena <span>").append(Html.esc(clusterId)).append("</span></h1><nav>");
    for (Map.Entry<String, String> t : tabs) {
      sb.append("<a href=\"").append(t.getKey()).append('"').append(t.getKey().equals(path) ? " class=\"active\"" : "")
          .append('>').append(Html.esc(t.getValue())).append("</a>");
    }
    sb.append("</nav><span id=\"updated\" class=\"live\">updated ").append(Html.clock(now))
        .append(" UTC</span></header><main id=\"content\">").append(main).append("</main><script>")
        .append(SCRIPT.replace("EVERY", Long.toString(refreshMillis))).append("</script></body></html>");
    return sb.toString();
  }
}
