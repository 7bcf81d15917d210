"""The fleet report people look at: one self-contained HTML file.

Applications by clusters with sync and health colours, then every Application's drifted
resources with their changes, diffs and the commit that last changed their source file.
Plain inline CSS and JS, no CDN and no network (a Content-Security-Policy forbids it), so the
file can be mailed, attached to a CI run or opened from a file share. Filters live in the URL
fragment (#sync=OutOfSync&cluster=...&q=...), so a filtered view is a link.
Every value is HTML-escaped; Secret values are already hashed by the audit (normalize.py).
"""

from __future__ import annotations

import json
import re
from html import escape
from typing import Any

from gitops_lint import __version__
from gitops_lint.drift.model import (
    EXTRA,
    MISSING,
    MODIFIED,
    SYNCED,
    UNKNOWN,
    ApplicationResult,
    DriftReport,
    ResourceResult,
)
from gitops_lint.plural import counted

_CSP = "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'"

_CSS = """
body{font:14px/1.4 system-ui,sans-serif;margin:1.5em;color:#1b1f24;background:#fff}
h1{font-size:1.4em;margin:0 0 .3em}h2{font-size:1.15em;margin:0}
.summary{color:#444}
#filters{display:flex;gap:1em;flex-wrap:wrap;align-items:center;margin:1em 0;padding:.6em;background:#f3f4f6;border-radius:6px}
#matrix{border-collapse:collapse;margin-bottom:2em}
#matrix th,#matrix td{border:1px solid #d0d7de;padding:.35em .6em;text-align:left;vertical-align:top}
#matrix thead th{background:#f6f8fa;font-weight:600;max-width:14em;word-break:break-all}
#matrix td a{color:inherit;text-decoration:none;display:block}
.sync-Synced{background:#d1f5d8}.sync-OutOfSync{background:#ffd8b5}.sync-Unknown{background:#e5e7eb}
td.none{background:#fafafa;color:#bbb;text-align:center}
.dim{opacity:.25}
.badge{display:inline-block;border-radius:1em;padding:0 .6em;font-size:.85em;font-weight:600;margin-left:.3em}
.b-Synced,.b-Healthy{background:#1a7f37;color:#fff}.b-OutOfSync{background:#c2410c;color:#fff}
.b-Degraded{background:#cf222e;color:#fff}.b-Progressing{background:#0969da;color:#fff}
.b-Suspended{background:#8250df;color:#fff}.b-Missing{background:#9a6700;color:#fff}
.b-Unknown{background:#6e7781;color:#fff}
.b-Modified{background:#c2410c;color:#fff}.b-Extra{background:#8250df;color:#fff}
article.app{border:1px solid #d0d7de;border-radius:6px;padding:.8em 1em;margin:0 0 1em}
article.app .meta{color:#57606a;font-size:.9em;margin:.2em 0 .6em}
table.resources{border-collapse:collapse;width:100%}
table.resources td,table.resources th{border-top:1px solid #eaeef2;padding:.3em .4em;text-align:left;vertical-align:top}
.changes{margin:0;padding-left:1.1em}.changes li{font-family:ui-monospace,monospace;font-size:.85em;word-break:break-all}
.commit{font-size:.85em;margin-bottom:.4em}.commit small{color:#57606a}
table.resources td:nth-child(2){width:14em}table.resources td:nth-child(4){width:42%}.commit code{background:#f6f8fa}
pre{background:#f6f8fa;padding:.6em;overflow:auto;font-size:.8em;max-height:30em}
.error{color:#cf222e}
"""

# Plain JS: reads the filter from the URL fragment, writes it back as controls change.
_JS = """
(function(){
  var ids=['sync','health','cluster','q'];
  function ctl(k){return document.getElementById('f-'+k);}
  function state(){var s={};ids.forEach(function(k){s[k]=ctl(k).value.trim();});return s;}
  function fromHash(){
    var h=location.hash.replace(/^#/,'');if(!h)return;
    h.split('&').forEach(function(kv){var i=kv.indexOf('=');if(i<0)return;
      var k=decodeURIComponent(kv.slice(0,i)),v=decodeURIComponent(kv.slice(i+1).replace(/\\+/g,' '));
      if(ids.indexOf(k)>=0)ctl(k).value=v;});
  }
  function match(el,s){
    if(s.sync&&el.dataset.sync!==s.sync)return false;
    if(s.health&&el.dataset.health!==s.health)return false;
    if(s.cluster&&el.dataset.cluster!==s.cluster)return false;
    if(s.q&&el.dataset.text.toLowerCase().indexOf(s.q.toLowerCase())<0)return false;
    return true;
  }
  function apply(){
    var s=state(),shown=0;
    document.querySelectorAll('#matrix tbody tr').forEach(function(row){
      var any=false;
      row.querySelectorAll('td.cell').forEach(function(td){var m=match(td,s);td.classList.toggle('dim',!m);any=any||m;});
      row.hidden=!any;
    });
    var q=s.q.toLowerCase();
    document.querySelectorAll('article.app').forEach(function(a){
      var m=match(a,s);a.hidden=!m;if(m)shown++;
      // A search for a resource shows that resource, unless it names the Application itself.
      var whole=!q||a.dataset.name.toLowerCase().indexOf(q)>=0;
      a.querySelectorAll('tr.resource').forEach(function(tr){tr.hidden=!whole&&tr.dataset.text.toLowerCase().indexOf(q)<0;});
    });
    document.getElementById('f-count').textContent=shown+' shown';
    var parts=[];ids.forEach(function(k){if(s[k])parts.push(k+'='+encodeURIComponent(s[k]));});
    history.replaceState(null,'',parts.length?'#'+parts.join('&'):location.pathname+location.search);
  }
  fromHash();
  ids.forEach(function(k){ctl(k).addEventListener('input',apply);ctl(k).addEventListener('change',apply);});
  document.body.dataset.ready='1';
  apply();
})();
"""


def _value(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=str) if value is not None else "(absent)"


def _change_lines(resource: ResourceResult) -> list[str]:
    return [
        f"{change.path}: git {_value(change.desired)} → live {_value(change.live)}"
        + (f"  [{change.attribution}]" if change.attribution else "")
        for change in resource.changes
    ] + [  # beside the verdict: not drift unless strict ownership made them changes
        f"{change.path}: live {_value(change.live)}  [{change.attribution}; not drift]" for change in resource.out_of_band
    ]


def _anchors(report: DriftReport) -> dict[int, str]:
    """A unique fragment id per Application: readable, numbered so that no two collide."""
    return {
        id(app): f"app-{index}-" + re.sub(r"[^A-Za-z0-9_-]+", "-", f"{app.name}--{app.cluster}").strip("-")
        for index, app in enumerate(report.applications)
    }


def _attr(value: str) -> str:
    return escape(value, quote=True)


def _badge(value: str) -> str:
    return f'<span class="badge b-{_attr(value)}">{escape(value)}</span>'


def _health(resource: ResourceResult) -> str:
    if not resource.health:
        return ""
    badge = _badge(resource.health)
    return f'<span title="{_attr(resource.health_message)}">{badge}</span>' if resource.health_message else badge


def _options(values: list[str]) -> str:
    return '<option value="">all</option>' + "".join(f'<option value="{_attr(v)}">{escape(v)}</option>' for v in values)


def _counts(app: ApplicationResult) -> str:
    counts = {status: 0 for status in (MODIFIED, MISSING, EXTRA, UNKNOWN)}
    for resource in app.resources:
        if resource.status in counts:
            counts[resource.status] += 1
    return ", ".join(f"{n} {status.lower()}" for status, n in counts.items() if n)


def _data(app: ApplicationResult) -> str:
    text = " ".join([app.name, app.cluster, app.namespace, *(r.display for r in app.resources if r.status != SYNCED)])
    return (f'data-app="{_attr(app.name)}" data-sync="{_attr(app.sync)}" data-health="{_attr(app.health)}" '
            f'data-cluster="{_attr(app.cluster)}" data-text="{_attr(text)}"')  # fmt: skip


def _matrix(report: DriftReport, clusters: list[str], anchors: dict[int, str]) -> list[str]:
    cells: dict[tuple[str, str], ApplicationResult] = {(a.name, a.cluster): a for a in report.applications}
    names = sorted({a.name for a in report.applications})
    out = ['<table id="matrix"><thead><tr><th>Application</th>']
    out += [f"<th>{escape(cluster)}</th>" for cluster in clusters]
    out.append("</tr></thead><tbody>")
    for name in names:
        out.append(f'<tr data-app="{_attr(name)}"><th>{escape(name)}</th>')
        for cluster in clusters:
            app = cells.get((name, cluster))
            if app is None:
                out.append('<td class="none">·</td>')
                continue
            counts = _counts(app)
            title = f"{app.name} on {app.cluster}: {app.sync}, {app.health}" + (f"; {counts}" if counts else "")
            out.append(
                f'<td class="cell sync-{_attr(app.sync)}" {_data(app)} title="{_attr(title)}">'
                f'<a href="#{anchors[id(app)]}">{_badge(app.sync)}{_badge(app.health)}'
                f"{f'<br><small>{escape(counts)}</small>' if counts else ''}</a></td>"
            )
        out.append("</tr>")
    out.append("</tbody></table>")
    return out


def _sources(resource: ResourceResult) -> str:
    if not resource.sources:
        return ""
    items = []
    for source in resource.sources:
        if source.sha:
            items.append(
                f'<div class="commit"><code>{escape(source.file)}</code><br><code class="sha">{escape(source.sha)}</code> '
                f'<span class="subject">{escape(source.subject)}</span><br>'
                f'<small class="author">{escape(source.author)} · {escape(source.date)}</small></div>'
            )
        else:
            items.append(f'<div class="commit"><code>{escape(source.file)}</code></div>')
    return "".join(items)


def _resource_rows(app: ApplicationResult) -> list[str]:
    interesting = [r for r in app.resources if r.status != SYNCED or r.out_of_band]
    synced = len(app.resources) - len(interesting)
    if not interesting:
        return [f"<p>{counted(synced, 'resource')}, all in sync.</p>"] if app.resources else []
    out = ['<table class="resources"><thead><tr><th>Status</th><th>Resource</th><th>Health</th>'
           "<th>What differs</th><th>Last changed in Git</th></tr></thead><tbody>"]  # fmt: skip
    for resource in interesting:
        changes = "".join(f"<li>{escape(line)}</li>" for line in _change_lines(resource))
        body = f'<ul class="changes">{changes}</ul>' if changes else ""
        if resource.status == EXTRA:
            prune = resource.not_pruned or "Argo CD would prune it"
            body += f"<div>Tracked by the Application but not in Git: {escape(prune)}.</div>"
            if resource.ignored_extra:
                body += f"<div>{escape(resource.ignored_extra)}</div>"
        if resource.error:
            body += f'<div class="error">{escape(resource.error)}</div>'
        if resource.diff:
            body += f"<details><summary>diff</summary><pre>{escape(resource.diff)}</pre></details>"
        out.append(
            f'<tr class="resource" data-status="{_attr(resource.status)}" data-text="{_attr(resource.display)}">'
            f"<td>{_badge(resource.status)}</td>"
            f"<td><code>{escape(resource.display)}</code></td>"
            f"<td>{_health(resource)}</td>"
            f"<td>{body}</td><td>{_sources(resource)}</td></tr>"
        )
    out.append("</tbody></table>")
    if synced:
        out.append(f"<p>and {counted(synced, 'resource')} in sync.</p>")
    return out


def _article(report: DriftReport, app: ApplicationResult, anchor: str) -> list[str]:
    meta = [f"namespace {app.namespace or '-'}", f"revision {app.revision}"]
    if app.path:
        meta.append(f"path {app.path}")
    meta.append(f"audited {report.audited_at(app)}")
    out = [
        f'<article class="app" id="{anchor}" {_data(app)} '
        f'data-name="{_attr(" ".join([app.name, app.cluster, app.namespace]))}">',
        f"<h2>{escape(app.name)} <small>on {escape(app.cluster)}</small>{_badge(app.sync)}{_badge(app.health)}</h2>",
        f'<div class="meta">{escape(" · ".join(meta))}</div>',
    ]
    if app.error:
        out.append(f'<p class="error">Could not audit: {escape(app.error)}</p>')
    out += _resource_rows(app)
    if app.orphaned:
        warning = "OrphanedResourceWarning: " if app.orphan_warning else ""
        out.append(f"<p>{escape(warning)}{counted(len(app.orphaned), 'orphaned resource')} (untracked, not counted "
                   f"in sync): {escape(', '.join(app.orphaned))}</p>")
    out.append("</article>")
    return out


def render_html(report: DriftReport) -> str:
    summary = report.summary
    clusters = sorted({a.cluster for a in report.applications})
    syncs = sorted({a.sync for a in report.applications})
    healths = sorted({a.health for a in report.applications})
    out = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f'<meta http-equiv="Content-Security-Policy" content="{_CSP}">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        "<title>gitops-lint drift report</title>",
        f"<style>{_CSS}</style></head><body>",
        "<header><h1>Drift audit</h1>",
        f'<p class="summary">{counted(summary.applications, "Application")} on {counted(len(clusters), "cluster")}, '
        f"<strong>{summary.out_of_sync} out of sync</strong>; resources: {summary.modified} modified, "
        f"{summary.missing} missing, {summary.extra} extra; {counted(summary.errors, 'error')}. "
        f"Generated {escape(report.generated_at)} by gitops-lint {escape(__version__)}.</p></header>",
        '<form id="filters" onsubmit="return false">',
        f'<label>Sync <select id="f-sync">{_options(syncs)}</select></label>',
        f'<label>Health <select id="f-health">{_options(healths)}</select></label>',
        f'<label>Cluster <select id="f-cluster">{_options(clusters)}</select></label>',
        '<label>Search <input id="f-q" type="search" placeholder="application, resource"></label>',
        '<span id="f-count"></span></form>',
    ]
    anchors = _anchors(report)
    out += _matrix(report, clusters, anchors)
    out.append('<section id="details">')
    for app in sorted(report.applications, key=lambda a: (a.sync == SYNCED, a.name, a.cluster)):
        out += _article(report, app, anchors[id(app)])
    out.append("</section>")
    out.append(f"<script>{_JS}</script></body></html>")
    return "\n".join(out) + "\n"
