"""The report's chart: items published each week (bars) and the on-time rate (line), as a PNG.

matplotlib draws through its Agg canvas on a Figure of its own (no pyplot, which keeps global state and is
not safe in the daemon's worker threads). The font is a TrueType file with every Vietnamese glyph, found by
path (fonts-dejavu-core or fonts-noto-core on Debian, or ``chart_font`` in the site's file): a font without
them draws empty boxes in place of "ệ", so a missing font is an error that says what to install.
"""

from __future__ import annotations

import io
from pathlib import Path

from scheduler.period_report import PeriodReport

FONT_CANDIDATES = (
    Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"),
    Path("/usr/share/fonts/truetype/noto/NotoSans-Regular.ttf"),
    Path("/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf"),
)
# Every letter Vietnamese writes beyond ASCII: a font must have them all.
VIETNAMESE = (
    "ÀÁẢÃẠĂẰẮẲẴẶÂẦẤẨẪẬĐÈÉẺẼẸÊỀẾỂỄỆÌÍỈĨỊÒÓỎÕỌÔỒỐỔỖỘƠỜỚỞỠỢÙÚỦŨỤƯỪỨỬỮỰỲÝỶỸỴ"
    "àáảãạăằắẳẵặâầấẩẫậđèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữựỳýỷỹỵ"
)


class ChartError(Exception):
    """The chart cannot be drawn; the message says why and what to do."""


def missing_glyphs(font: Path, text: str = VIETNAMESE) -> str:
    """The characters of ``text`` the font has no glyph for."""
    from matplotlib.ft2font import FT2Font

    face = FT2Font(str(font))
    return "".join(c for c in dict.fromkeys(text) if not c.isspace() and face.get_char_index(ord(c)) == 0)


def vietnamese_font(configured: Path | None = None) -> Path:
    """The font file to draw with: the configured one, or the first installed candidate with every glyph."""
    for path in [configured] if configured else FONT_CANDIDATES:
        if path.is_file():
            lacking = missing_glyphs(path)
            if configured and lacking:
                raise ChartError(f"chart_font {path}: phông chữ thiếu các chữ {lacking}")
            if not lacking:
                return path
    where = str(configured) if configured else ", ".join(str(p) for p in FONT_CANDIDATES)
    raise ChartError(
        f"không có phông chữ tiếng Việt để vẽ biểu đồ (tìm ở {where}); cài gói fonts-dejavu-core "
        "(apt-get install fonts-dejavu-core) hoặc đặt chart_font trong tệp cấu hình"
    )


def render_text(text: str, font: Path) -> bytes:
    """A line of text alone as a PNG: what the chart's labels look like in this font."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.font_manager import FontProperties

    figure = Figure(figsize=(len(text) * 0.18 + 0.5, 0.6), dpi=100)
    FigureCanvasAgg(figure)
    figure.text(0.02, 0.3, text, fontproperties=FontProperties(fname=str(font)), fontsize=14)
    out = io.BytesIO()
    figure.savefig(out, format="png")
    return out.getvalue()


def weekly_chart(report: PeriodReport, site_name: str, font: Path) -> bytes:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.font_manager import FontProperties
    from matplotlib.ticker import MaxNLocator, PercentFormatter

    prop = FontProperties(fname=str(font))
    small = FontProperties(fname=str(font), size=8)
    figure = Figure(figsize=(8, 4.2), dpi=110, layout="constrained")
    FigureCanvasAgg(figure)
    bars = figure.add_subplot()
    labels = [f"{w.monday:%d/%m}" for w in report.weeks]
    positions = range(len(report.weeks))
    bars.bar(positions, [w.published for w in report.weeks], color="#2f6fb0", label="Bài đã đăng")
    bars.set_ylabel("Số bài đăng trong tuần", fontproperties=prop)
    bars.yaxis.set_major_locator(MaxNLocator(integer=True))
    bars.set_xticks(list(positions), labels, fontproperties=small, rotation=45 if len(labels) > 14 else 0)
    bars.set_xlabel("Tuần bắt đầu từ thứ Hai", fontproperties=prop)
    rate = bars.twinx()
    points = [(i, w.rate * 100) for i, w in enumerate(report.weeks) if w.rate is not None]
    if points:
        rate.plot(*zip(*points, strict=True), color="#c0392b", marker="o", label="Tỉ lệ đúng hạn")
    rate.set_ylim(0, 105)
    rate.yaxis.set_major_formatter(PercentFormatter())
    rate.set_ylabel("Tỉ lệ đăng đúng hạn", fontproperties=prop)
    for axis in (bars, rate):
        for tick in axis.get_yticklabels():
            tick.set_fontproperties(small)
    handles = bars.get_legend_handles_labels()[0] + rate.get_legend_handles_labels()[0]
    figure.legend(handles=handles, prop=small, loc="outside lower center", ncols=2)
    figure.suptitle(f"{site_name}: bài đăng và tỉ lệ đúng hạn, {report.period.name}", fontproperties=prop)
    out = io.BytesIO()
    figure.savefig(out, format="png")
    return out.getvalue()
