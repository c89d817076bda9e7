"""Small drawing helpers shared by the pages: a chart with its reading guide and the download of
its numbers, KPI cards with benchmark verdicts, progress for long work, safe CSV bytes.

UI only; numbers come from `retention/`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

import app_state
from retention import charts
from retention.benchmark_bands import BANDS, judge
from retention.errors import UserInputError
from retention.i18n import format_number, t


def _missing(v: Any) -> bool:
    try:
        return bool(pd.isna(v))
    except (TypeError, ValueError):
        return False


def csv_bytes(df: pd.DataFrame) -> bytes:
    """UTF-8 CSV of `df`, safe to open in a spreadsheet: text cells starting with = + - @ tab or
    CR are neutralised by the audience exporter's own rule (`retention.exports.neutralise_text`)."""
    from retention.exports import neutralise_text

    out = df.copy()
    for col in out.columns:
        s = out[col]
        if s.dtype == object or pd.api.types.is_string_dtype(s):
            out[col] = neutralise_text(s.map(lambda v: None if _missing(v) else str(v)))
    return out.to_csv(index=False, lineterminator="\n").encode("utf-8")


def figure(key: tuple, build: Callable[[], go.Figure]) -> go.Figure:
    """The figure `build()` makes, kept in the session cache under `key` (plus the data version,
    filters and language): plotly spends 30-200 ms validating a figure, a page switch must not."""
    return app_state.cached(("figure", app_state.lang(), *key), build)


def chart(
    fig: go.Figure,
    data: pd.DataFrame,
    *,
    guide: str,
    name: str,
    key: str | None = None,
    on_select: str = "ignore",
    selection_mode: Any = "points",
) -> Any:
    """Draw a plotly chart, its one-line reading guide, and a download of the numbers behind it."""
    event = st.plotly_chart(
        fig, key=key, on_select=on_select, selection_mode=selection_mode, config={"displaylogo": False}
    )
    left, right = st.columns([4, 1], vertical_alignment="center")
    left.caption("💡 " + guide)
    right.download_button(
        "⬇ CSV",
        data=lambda: csv_bytes(data),  # built only when clicked
        file_name=f"{name}.csv",
        mime="text/csv",
        key=f"dl_{key or name}",
        on_click="ignore",
        help=t("common.download_numbers", app_state.lang()),
    )
    return event


LEVEL_COLOURS = {"below": "red", "typical": "orange", "good": "blue", "excellent": "green"}
_BAND_COLOURS = {"below": charts.RED, "typical": charts.AMBER, "good": charts.BLUE, "excellent": charts.GREEN}


def metric_card(
    label: str,
    value: str,
    *,
    help: str | None = None,
    kpi: str | None = None,
    kpi_value: float | None = None,
) -> None:
    """One KPI in a bordered card. With `kpi` (a name of `retention.benchmark_bands.BANDS`) and its
    value, a coloured badge says the level in words, the band scale shows where the shop sits, and
    the caption gives the verdict, all in the page's language and from the same thresholds."""
    lang = app_state.lang()
    with st.container(border=True):
        st.metric(label, value, help=help)
        if kpi is None:
            return
        spans = BANDS[kpi]
        best = spans[-1][2] if spans[-1][2] == "excellent" else spans[0][2]  # churn: lower is better
        bands = [
            (low, high, t(f"band.{level}", lang), charts.GREEN if level == best else _BAND_COLOURS[level])
            for low, high, level in spans
        ]
        verdict = judge(kpi, kpi_value, language=lang)
        if verdict["level"]:
            colour = "green" if verdict["level"] == best else LEVEL_COLOURS[verdict["level"]]
            st.badge(t(f"level.{verdict['level']}", lang), color=colour)
        st.html(charts.benchmark_band_html(kpi_value, bands))
        if verdict["level"]:
            st.caption(verdict["verdict"])


class LoadBox:
    """A bordered box with a label and a progress bar for a load: what `st.status` shows, without
    the 0.05 s `st.status` sleeps when it is created (Streamlit's guard against updates that come
    too fast for its expander), paid between the end of an upload and the start of its load."""

    _ICONS = {"running": "⏳", "complete": "✅", "error": "⚠️"}

    def __init__(self, label: str) -> None:
        self._box = st.container(border=True)
        self._label = self._box.empty()
        self._text = label
        self.update(label=label, state="running")

    def progress(self, value: float, text: str | None = None):
        """A progress bar in the box (the element, to update with `.progress(value, text=...)`)."""
        return self._box.progress(value, text=text)

    def update(self, *, label: str | None = None, state: str | None = None) -> None:
        self._text = label or self._text
        self._label.markdown(self._ICONS.get(state or "running", "⏳") + " " + self._text)

    def __enter__(self) -> LoadBox:
        return self

    def __exit__(self, typ, exc, tb) -> bool:  # noqa: ANN001 - the context manager protocol
        if typ is not None and issubclass(typ, Exception):
            self.update(state="error")
        return False


def progress_reporter(status) -> Callable[..., None]:
    """A progress callback for the library that writes into a LoadBox (or an `st.status` box).

    The library calls it with a fraction (0-1) and/or a message; both are optional so any of the
    common shapes (`cb(0.5)`, `cb("reading")`, `cb(0.5, "reading")`, `cb(done, total)`) works.
    """
    bar = status.progress(0.0)

    def report(*args: Any, **kwargs: Any) -> None:
        numbers = [a for a in args if isinstance(a, (int, float)) and not isinstance(a, bool)]
        texts = [a for a in args if isinstance(a, str)] + [v for v in kwargs.values() if isinstance(v, str)]
        frac = kwargs.get("fraction")
        if frac is None and len(numbers) >= 2 and numbers[1]:
            frac = numbers[0] / numbers[1]
        elif frac is None and numbers:
            frac = numbers[0]
        try:
            if frac is not None:
                bar.progress(min(max(float(frac), 0.0), 1.0), text=texts[0] if texts else None)
            elif texts:
                status.update(label=texts[0])
        except Exception:  # noqa: BLE001 - progress display must never break a load
            pass

    return report


def page_header(title: str, subtitle: str | None = None) -> None:
    st.title(title)
    if subtitle:
        st.caption(subtitle)


def no_data(message: str) -> None:
    st.info(message)


_VALUE_POSITION = {"select_slider": 2, "slider": 3, "number_input": 3, "toggle": 1, "date_input": 1, "text_input": 1}


def kept(widget: Callable[..., Any], key: str, *args: Any, **kwargs: Any) -> Any:
    """Draw `widget` (for example `st.selectbox` or `col.slider`) so that its value survives page
    and language switches. Streamlit forgets the state of a widget that a run does not draw (the
    user leaves the page), and a widget whose option labels change (the language) must be a new
    one; so the value is mirrored under a plain session key and given back as the default the
    next time the widget is drawn. The mirror is cleared when new data is loaded."""
    store = app_state.KEEP_PREFIX + key
    wkey = f"{key}__{app_state.lang()}"
    name = getattr(widget, "__name__", "")
    if wkey not in st.session_state and store in st.session_state:
        saved = st.session_state[store]
        args = list(args)
        if name in ("selectbox", "radio", "multiselect"):
            options = list(args[1] if len(args) > 1 else kwargs.get("options", []))
            if name == "multiselect":
                kwargs["default"] = [v for v in saved if v in options]
            elif saved in options:
                kwargs["index"] = options.index(saved)
        elif name in _VALUE_POSITION:
            pos = _VALUE_POSITION[name]
            if len(args) > pos:
                args[pos] = saved
            else:
                kwargs["value"] = saved
    value = widget(*args, key=wkey, **kwargs)
    st.session_state[store] = value
    return value


def cac_input(container: Any, key: str) -> float | None:
    """The customer acquisition cost box of a page, drawn in `container`: a text box (a number
    box shows "25.00" with a point even in Italian and refuses "25,50") that takes what a
    marketer types ("25,50", "25.50", "1.250", "€ 30"), kept across page switches. Returns the
    CAC in shop currency, or None when it is empty or cannot be read, and then says why under it.

    The text is kept with the language it was typed in: switching language rewrites it in the new
    one, so an Italian "1.250" (1,250) does not become an English one and a quarter."""
    language = app_state.lang()
    store = app_state.KEEP_PREFIX + key
    typed_in = store + app_state.LANG_SUFFIX
    if f"{key}__{language}" not in st.session_state and st.session_state.get(typed_in, language) != language:
        try:
            value = app_state.cac_from_text(st.session_state.get(store), st.session_state[typed_in])
        except UserInputError:
            value = None
        if value is not None:
            st.session_state[store] = format_number(value, language, 0 if value == int(value) else 2)
    text = kept(
        container.text_input,
        key,
        t("overview.cac", language),
        value="",
        placeholder=t("overview.cac_placeholder", language),
        help=t("overview.cac_help", language),
    )
    st.session_state[typed_in] = language
    try:
        return app_state.cac_from_text(text, language)
    except UserInputError as exc:
        container.error(app_state.friendly_error(exc))
        return None


def kept_file(container: Any, key: str, label: str, **kwargs: Any) -> tuple[str, bytes] | None:
    """A one-file uploader drawn in `container` whose file survives page switches: (name, bytes)
    of the file the user gave, or None. Streamlit empties an uploader that a run does not draw,
    so the file is kept in this session's state (never in a cache shared by sessions) until the
    user removes it, here or with the uploader's own ✕, or new data is loaded."""
    store = app_state.KEEP_PREFIX + key
    wkey = f"{key}__upload"

    def forget_removed() -> None:  # runs only when the user changes the uploader, not on a page switch
        if st.session_state.get(wkey) is None:
            st.session_state.pop(store, None)

    f = container.file_uploader(label, key=wkey, on_change=forget_removed, **kwargs)
    if f is not None:
        st.session_state[store] = (f.name, f.getvalue())
        return st.session_state[store]
    kept_one = st.session_state.get(store)
    if kept_one is not None:
        language = app_state.lang()
        left, right = container.columns([3, 1], vertical_alignment="center")
        left.caption("📎 " + t("common.file_in_use", language, file=kept_one[0]))
        if right.button(t("common.remove", language), key=f"{key}__remove"):
            st.session_state.pop(store, None)
            st.rerun()
    return kept_one
