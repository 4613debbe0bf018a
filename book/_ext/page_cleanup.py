"""Two clean-ups of each built page's <script> list.

1. sphinx-thebe 0.3.1 (and sphinx-togglebutton) register their inline scripts every time Sphinx
   emits ``env-before-read-docs``, which happens more than once in a Jupyter Book build. The
   second ``const THEBE_JS_URL = ...`` is a SyntaxError in every page's console. We keep the
   first of each identical script (same file or body, same attributes).
2. The book never loads the ipywidgets manager (``nb_ipywidgets_js: {}``): its kernel-free demos
   are plain HTML + JavaScript, and live-kernel widgets are removed from the static pages. The
   widget state MyST-NB would embed is then dead weight (finished progress bars, slider images),
   so it is dropped.
"""

WIDGET_STATE = "application/vnd.jupyter.widget-state+json"


def _clean(app, pagename, templatename, context, doctree):
    scripts = context.get("script_files")
    if not scripts:
        return
    seen, kept = set(), []
    for script in scripts:
        attributes = dict(getattr(script, "attributes", {}) or {})
        if attributes.get("type") == WIDGET_STATE and not app.config.nb_ipywidgets_js:
            continue
        # sphinx-thebe registers the same body once with filename None and once with ""
        key = (str(getattr(script, "filename", script) or ""), tuple(sorted(attributes.items())))
        if key not in seen:
            seen.add(key)
            kept.append(script)
    context["script_files"] = kept


def setup(app):
    app.connect("html-page-context", _clean, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
