"""Word documents (.docx) to clean HTML, in document order, with images handed back as files.

The package is read here with zipfile and lxml (the parts the draft needs, when it needs them, as plain
lxml elements: python-docx parsed every part of the package into its own element classes, which made a
120-page decree a third slower), and the body's XML is walked in document order for list nesting, merged
cells and inline images, which a faithful draft needs.
"""

from __future__ import annotations

import functools
import io
import posixpath
import re
import zipfile
from dataclasses import dataclass, field
from html import escape

from lxml import etree

from intake import document, refusals, vietnamese

# Element names in Clark notation ("{namespace}name"), as python-docx's qn writes them but cached: a long
# document asks for the same few dozen names hundreds of thousands of times. Ours, so that importing this
# module (as the sandbox's caller does, to name the function and read its result) does not load python-docx.
PREFIXES = {
    "w": "http://schemas.openxmlformats.org/wordprocessingml/2006/main",
    "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
    "a": "http://schemas.openxmlformats.org/drawingml/2006/main",
    "wp": "http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing",
}


@functools.cache
def qn(name: str) -> str:
    prefix, _, local = name.partition(":")
    return f"{{{PREFIXES[prefix]}}}{local}"


HEADING_STYLE = re.compile(r"^(?:heading|tiêu đề|title)\s*(\d)?$", re.IGNORECASE)
NS = {"w": PREFIXES["w"]}
MC = "{http://schemas.openxmlformats.org/markup-compatibility/2006}"
VML = "{urn:schemas-microsoft-com:vml}"
NOTE_KINDS = {"footnoteReference": ("footnotes", "fn"), "endnoteReference": ("endnotes", "en")}
LIST_STYLE_DEPTH = re.compile(r"^List(?: Bullet| Number| Continue)? ([2-9])$")
# Pictures a browser shows, or that cleaning turns into one (TIFF, BMP become PNG and say so): any other
# format is named to the board here.
IMAGE_TYPES = {"image/png", "image/jpeg", "image/gif", "image/webp", "image/tiff", "image/bmp"}
W_T, W_VAL = qn("w:t"), qn("w:val")
# The names the walk asks for at every paragraph and run, looked up once.
W_P, W_R, W_RPR, W_PPR, W_TBL, W_SDT, W_SDT_CONTENT = (
    qn(f"w:{n}") for n in ("p", "r", "rPr", "pPr", "tbl", "sdt", "sdtContent")
)
W_HYPERLINK, R_ID, W_PSTYLE, W_OUTLINE, W_NUMPR, W_JC = (
    qn(n) for n in ("w:hyperlink", "r:id", "w:pStyle", "w:outlineLvl", "w:numPr", "w:jc")
)
W_NUMID, W_ILVL, W_VERTALIGN, W_RFONTS = qn("w:numId"), qn("w:ilvl"), qn("w:vertAlign"), qn("w:rFonts")
W_RSTYLE, W_ASCII, W_HANSI, W_CS = qn("w:rStyle"), qn("w:ascii"), qn("w:hAnsi"), qn("w:cs")
INLINE_CONTAINERS = {qn("w:ins"), qn("w:moveTo"), qn("w:smartTag"), W_SDT}  # runs inside them are read
# The run properties that become HTML, and the order _wrap nests them in (the outermost last).
EMPHASIS = {qn("w:strike"): "s", qn("w:dstrike"): "s", qn("w:u"): "u", qn("w:i"): "em", qn("w:b"): "strong"}
EMPHASIS_ORDER = ("s", "u", "em", "strong")
OFF = ("0", "false", "none")
TAGS = re.compile(r"<[^>]+>")
PLAIN_RUN_CHILDREN = {qn("w:tab"): " ", qn("w:noBreakHyphen"): "-", qn("w:br"): "<br>", qn("w:cr"): "<br>"}
PICTURES = {qn("w:drawing"), qn("w:pict"), qn("w:object")}
TITLE_LINES = frozenset(document.TYPES)


# python-docx's parser settings: no entities (check_zip refuses a DOCTYPE before this), no blank text nodes;
# and no table of xml:id attributes, which nothing here looks up (a tenth of the parse of a long body).
XML_PARSER = etree.XMLParser(remove_blank_text=True, resolve_entities=False, collect_ids=False)
RELATIONSHIP = "{http://schemas.openxmlformats.org/package/2006/relationships}Relationship"
CONTENT_TYPES = "{http://schemas.openxmlformats.org/package/2006/content-types}"
WORD_MAIN = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"


class _Relationship:
    def __init__(self, base: str, element):
        self.reltype = element.get("Type", "")
        self.target_ref = element.get("Target", "")
        self.is_external = element.get("TargetMode") == "External"
        self.name = posixpath.normpath(posixpath.join("/" + base, self.target_ref)).lstrip("/")


class _Part:
    """One part of the package: its bytes, type and relationships, its XML when asked for. It does not point
    back to the package: without that cycle, a converted document's tree is freed as soon as it is done
    with, not at the next run of the cycle collector."""

    def __init__(self, package: _Package, name: str):
        self.blob = package.read(name)
        self.name = name
        self.content_type = package.content_type(name)
        self.ext = posixpath.splitext(name)[1].lstrip(".")
        self.rels = package.relationships(name)

    @functools.cached_property
    def element(self):
        return etree.fromstring(self.blob, XML_PARSER)


class _Package:
    """A Word document's package: the main part, its body, styles and numbering.

    ``inflated``: members already read whole by docx_safe.check_zip (its XML parts), so that a document's
    body is not inflated twice; any other member is read from the zip when a part is asked for."""

    def __init__(self, data: bytes, inflated: dict[str, bytes] | None = None):
        self.zip = zipfile.ZipFile(io.BytesIO(data))
        self.inflated = inflated or {}
        self.parts: dict[str, _Part] = {}
        types = self.xml("[Content_Types].xml")
        self.defaults = {
            el.get("Extension", "").lower(): el.get("ContentType", "") for el in types.iter(CONTENT_TYPES + "Default")
        }
        self.overrides = {
            el.get("PartName", "").lower(): el.get("ContentType", "") for el in types.iter(CONTENT_TYPES + "Override")
        }
        main = next(
            (r for r in self.relationships("").values() if r.reltype.endswith("/officeDocument") and not r.is_external),
            None,
        )
        if main is None:
            raise ValueError("tệp không có nội dung văn bản Word")
        self.part = self.load(main.name)
        if self.part.content_type != WORD_MAIN:
            raise ValueError(f"không phải văn bản Word ({self.part.content_type[:80]})")
        self.body = self.part.element.find(qn("w:body"))
        if self.body is None:
            raise ValueError("văn bản Word không có phần thân")
        styles = self.related(self.part, "styles")
        self.styles = styles.element if styles is not None else etree.Element(qn("w:styles"))

    @functools.cached_property
    def numbering(self):
        """Parsed when a paragraph is in a list: many long documents have a large numbering part and no list."""
        numbering = self.related(self.part, "numbering")
        return numbering.element if numbering is not None else None

    def read(self, name: str) -> bytes:
        if (blob := self.inflated.get(name)) is not None:
            return blob
        try:
            return self.zip.read(name)
        except KeyError:
            raise ValueError(f"tài liệu thiếu phần {name[-60:]}") from None

    def xml(self, name: str):
        return etree.fromstring(self.read(name), XML_PARSER)

    def load(self, name: str) -> _Part:
        if name not in self.parts:
            self.parts[name] = _Part(self, name)
        return self.parts[name]

    def related(self, part: _Part, kind: str) -> _Part | None:
        """The part that ``part`` names for ``kind`` (styles, numbering …), if any."""
        rel = next((r for r in part.rels.values() if r.reltype.endswith("/" + kind) and not r.is_external), None)
        return self.load(rel.name) if rel is not None else None

    def content_type(self, name: str) -> str:
        return self.overrides.get("/" + name.lower()) or self.defaults.get(posixpath.splitext(name)[1][1:].lower(), "")

    def relationships(self, name: str) -> dict[str, _Relationship]:
        folder, base = posixpath.split(name)
        path = posixpath.join(folder, "_rels", base + ".rels")
        if path not in self.zip.NameToInfo:
            return {}
        return {el.get("Id"): _Relationship(folder, el) for el in self.xml(path).iter(RELATIONSHIP)}


@dataclass
class Converted:
    html: str
    images: list[tuple[str, str, str, bytes]] = field(default_factory=list)  # (ref, filename, content type, bytes)
    notes: list[tuple[str, dict]] = field(default_factory=list)  # warnings as codes of intake/refusals.py
    text: str = ""
    headings: list[str] = field(default_factory=list)
    removed: dict[str, list[str]] = field(default_factory=dict)  # what was left out: kind → one entry each

    @property
    def warnings(self) -> list[str]:
        """The notes in Vietnamese (``toasoan convert``); intake renders them in the site's language."""
        return [refusals.text(code, values) for code, values in self.notes]


SAFE_LINK = re.compile(r"^(https?://|mailto:)", re.IGNORECASE)


class _Converter:
    def __init__(self, doc):
        self.doc = doc
        self.out = Converted(html="")
        self.text: list[str] = []  # the paragraphs' text, joined once at the end
        self.styles = {el.get(qn("w:styleId")): el for el in doc.styles.findall(qn("w:style"))}
        self.style_headings: dict[str, int | None] = {}
        self.style_lists: dict[str, tuple[str | None, int | None]] = {}
        self._font_paragraph: tuple[object, str | None] = (object(), None)  # run_font's last paragraph, its font
        self.legacy = self._legacy_encodings()
        self.part = doc.part  # whose relationships links and images refer to: the document, or a notes part
        self.note_parts: dict[str, object] = {}
        self.notes = {kind: self._notes(kind) for kind, _ in NOTE_KINDS.values()}
        self.cited: list[tuple[str, str, int]] = []  # (kind, note id, number shown) in reading order
        self.pending: list[str] = []  # text boxes met inside a paragraph, placed after it

    def _notes(self, kind: str) -> dict[str, object]:
        """Footnote or endnote bodies by id, skipping Word's separator notes."""
        for rel in self.doc.part.rels.values():
            if rel.reltype.endswith("/" + kind) and not rel.is_external:
                self.note_parts[kind] = self.doc.load(rel.name)
                root = self.note_parts[kind].element
                return {note.get(qn("w:id")): note for note in root if note.get(qn("w:type")) in (None, "normal")}
        return {}

    def style_chain(self, style_id: str | None):
        """A style's element and those it is based on, read from the XML (python-docx refuses some files)."""
        seen = set()
        while style_id and style_id not in seen and (element := self.styles.get(style_id)) is not None:
            seen.add(style_id)
            yield element
            based = element.find(qn("w:basedOn"))
            style_id = based.get(qn("w:val")) if based is not None else None

    @functools.cached_property
    def style_fonts(self) -> dict[str | None, str | None]:
        """Each style's font, following base styles; None: the document default. Needed only for a
        document that names a legacy font somewhere (see _legacy_encodings)."""
        defaults = self.doc.styles.find(qn("w:docDefaults"))
        fonts: dict[str | None, str | None] = {
            None: _rfonts_name(defaults.find(".//" + qn("w:rFonts")) if defaults is not None else None)
        }
        for style_id in self.styles:
            fonts[style_id] = next(
                (name for el in self.style_chain(style_id) if (name := _rfonts_name(el.find("./w:rPr/w:rFonts", NS)))),
                None,
            )
        return fonts

    def run_font(self, r) -> str | None:
        rpr = next(r.iterchildren(W_RPR), None)
        if rpr is not None:
            if name := _rfonts_name(next(rpr.iterchildren(W_RFONTS), None)):
                return name
            rstyle = next(rpr.iterchildren(W_RSTYLE), None)
            if rstyle is not None and (name := self.style_fonts.get(rstyle.get(W_VAL))):
                return name
        para = r.getparent()
        while para is not None and para.tag != W_P:
            para = para.getparent()
        if para is not self._font_paragraph[0]:  # a paragraph's runs come one after another: its font once
            style_id = self.paragraph_style(para) if para is not None else "Normal"
            fonts = self.style_fonts
            self._font_paragraph = (para, fonts.get(style_id) or fonts.get("Normal") or fonts[None])
        return self._font_paragraph[1]

    def _legacy_encodings(self) -> set[str]:
        """The legacy encodings this document really uses: judged on all the text set in each kind of font
        at once, because many files name .VnTime over text that is already Unicode."""
        body = self.doc.body
        named = [  # every legacy font a style, a run or a paragraph mark names
            el
            for el in (*self.doc.styles.iter(W_RFONTS), *body.iter(W_RFONTS))
            if vietnamese.font_encoding(_rfonts_name(el))
        ]
        if not named:
            return set()  # most documents: no legacy font anywhere, no need to look at each run
        styles = {style for style, font in self.style_fonts.items() if vietnamese.font_encoding(font)}
        if styles & {None, "Normal"}:
            runs = body.iter(W_R)  # the document's own font: any run may be set in it
        else:  # the runs that can be: those naming such a font or style, and those of a paragraph in one
            runs = {r: None for el in named if (r := _run_of(el)) is not None}
            for el in body.iter(W_RSTYLE, W_PSTYLE):
                if el.get(W_VAL) in styles and (holder := el.getparent().getparent()) is not None:
                    runs.update(dict.fromkeys([holder] if holder.tag == W_R else holder.iter(W_R)))
        texts: dict[str, list[str]] = {}
        for r in runs:
            if encoding := vietnamese.font_encoding(self.run_font(r)):
                texts.setdefault(encoding.removesuffix("_caps"), []).extend(t.text or "" for t in r.iter(W_T))
        legacy = {enc for enc, parts in texts.items() if vietnamese.looks_legacy("".join(parts))}
        if legacy:
            fonts = ", ".join(sorted("TCVN3/ABC" if e == "tcvn3" else "VNI" for e in legacy))
            self.out.notes.append(("legacy_font", {"fonts": fonts}))
        return legacy

    @functools.cached_property
    def list_formats(self) -> dict[tuple[str, int], str]:
        """(numId, level) → 'ul' or 'ol', read from the numbering part when the first list item is met."""
        numbering = self.doc.numbering
        if numbering is None:
            return {}
        abstract = {}
        for an in numbering.findall(qn("w:abstractNum")):
            levels = {}
            for lvl in an.findall(qn("w:lvl")):
                fmt = lvl.find(qn("w:numFmt"))
                kind = fmt.get(qn("w:val")) if fmt is not None else "decimal"
                levels[int(lvl.get(qn("w:ilvl")))] = "ul" if kind in ("bullet", "none") else "ol"
            abstract[an.get(qn("w:abstractNumId"))] = levels
        formats = {}
        for num in numbering.findall(qn("w:num")):
            ref = num.find(qn("w:abstractNumId"))
            for level, kind in abstract.get(ref.get(qn("w:val")) if ref is not None else None, {}).items():
                formats[(num.get(qn("w:numId")), level)] = kind
        return formats

    # -- inline content ---------------------------------------------------------------------------
    def runs(self, p_el) -> str:
        """A paragraph's inline content; neighbouring runs with the same formatting are merged, so a word
        typed in several runs (or a letter per font) stays one word in one <strong>."""
        segments: list[tuple[tuple | None, list[str]]] = []  # (formatting or None for ready HTML, pieces)

        def add(formatting: tuple | None, html: str) -> None:
            if formatting is not None and segments and segments[-1][0] == formatting:
                segments[-1][1].append(html)
            elif html:
                segments.append((formatting, [html]))

        for child in p_el:
            tag = child.tag
            if tag == W_R:
                add(*self.run(child))
            elif tag == W_HYPERLINK:
                inner = self.runs(child)
                rid = child.get(R_ID)
                href = self.part.rels[rid].target_ref if rid and rid in self.part.rels else None
                if href and not SAFE_LINK.match(href.strip()):  # javascript:, vbscript:, data:, file:, \\server
                    self.out.removed.setdefault("link", []).append(href.strip().split(":", 1)[0][:20] or "?")
                    href = None
                add(None, f'<a href="{escape(href)}">{inner}</a>' if href else inner)
            elif tag in INLINE_CONTAINERS:
                add(None, self.runs(child.find(W_SDT_CONTENT) if tag == W_SDT else child))
        return "".join(
            _wrap(formatting, "".join(pieces)) if formatting else "".join(pieces) for formatting, pieces in segments
        )

    def run(self, r) -> tuple[tuple, str]:
        """(formatting tags, innermost first; the run's HTML). The run's children are read in one pass, its
        properties in another: a long document has thousands of runs, each with a handful of properties."""
        encoding = vietnamese.font_encoding(self.run_font(r)) if self.legacy else None
        if encoding and encoding.removesuffix("_caps") not in self.legacy:
            encoding = None
        rpr, pieces = None, []
        for child in r:
            tag = child.tag
            if tag == W_T:
                text = child.text or ""
                pieces.append(escape(vietnamese.convert(text, encoding) if encoding else text))
            elif tag == W_RPR:
                rpr = child
            elif tag in PLAIN_RUN_CHILDREN:
                pieces.append(PLAIN_RUN_CHILDREN[tag])
            elif tag in PICTURES:
                pieces.append(self.image(child))
                self.text_boxes(child)
            elif tag == MC + "AlternateContent":  # the same object twice: read one branch
                branch = child.find(MC + "Choice")
                branch = branch if branch is not None else child.find(MC + "Fallback")
                for inner in branch if branch is not None else []:
                    if inner.tag in (qn("w:drawing"), qn("w:pict")):
                        pieces.append(self.image(inner))
                        self.text_boxes(inner)
            elif (name := tag.rpartition("}")[2]) in NOTE_KINDS:
                pieces.append(self.note_reference(name, child.get(qn("w:id"))))
        html = "".join(pieces)
        if rpr is None or not html.strip():
            return (), html
        props = {tag: child for child in rpr if (tag := child.tag) in EMPHASIS or tag == W_VERTALIGN}
        if not props:
            return (), html
        on = {
            tag
            for name, tag in EMPHASIS.items()
            if (el := props.get(name)) is not None and el.get(W_VAL, "true") not in OFF
        }
        formatting = tuple(tag for tag in EMPHASIS_ORDER if tag in on) if on else ()
        va = props.get(W_VERTALIGN)
        vert = va.get(W_VAL) if va is not None else None
        formatting += ("sup",) if vert == "superscript" else ("sub",) if vert == "subscript" else ()
        return formatting, html

    def text_boxes(self, drawing) -> None:
        for content in drawing.iter(qn("w:txbxContent")):
            if inner := self.blocks(content):
                self.pending.append(inner)

    def note_reference(self, name: str, note_id: str | None) -> str:
        kind, prefix = NOTE_KINDS[name]
        if note_id not in self.notes[kind]:
            return ""
        number = sum(1 for k, _, _ in self.cited if k == kind) + 1
        self.cited.append((kind, note_id, number))
        return f'<sup><a href="#{prefix}-{number}" id="{prefix}ref-{number}">[{number}]</a></sup>'

    def notes_html(self) -> str:
        """The notes cited, in order, each with a link back to where it was cited."""
        out = []
        for kind, prefix in NOTE_KINDS.values():
            items = []
            for cited_kind, note_id, number in list(self.cited):
                if cited_kind != kind:
                    continue
                self.part = self.note_parts[kind]
                body = self.blocks(self.notes[kind][note_id])
                self.part = self.doc.part
                back = f' <a href="#{prefix}ref-{number}">↑</a>'
                body = body[:-4] + back + "</p>" if body.endswith("</p>") else body + back
                items.append(f'<li id="{prefix}-{number}">{body}</li>')
            if items:
                out.append(f'<ol class="{kind}">{"".join(items)}</ol>')
        return "".join(out)

    def image(self, drawing) -> str:
        blip = drawing.find(".//" + qn("a:blip"))
        if blip is not None and blip.get(qn("r:link")):  # a picture fetched from a server when opened
            self.out.removed.setdefault("remote_image", []).append(blip.get(qn("r:link")))
        if blip is not None:
            rid = blip.get(qn("r:embed"))
        else:  # VML, as older Word and "objects" write pictures
            imagedata = drawing.find(".//" + VML + "imagedata")
            rid = imagedata.get(qn("r:id")) if imagedata is not None else None
        if rid and rid in self.part.rels and self.part.rels[rid].is_external:
            self.out.removed.setdefault("remote_image", []).append(self.part.rels[rid].target_ref[:100])
            return ""
        if not rid or rid not in self.part.rels:
            return ""
        part = self.doc.load(self.part.rels[rid].name)
        props = drawing.find(".//" + qn("wp:docPr"))
        alt = (props.get("descr") or props.get("title") or "") if props is not None else ""
        content_type = part.content_type
        n = len(self.out.images) + 1
        ext = part.ext or "bin"
        ref = f"docx-image-{n}"
        self.out.images.append((ref, f"anh-{n}.{ext}", content_type, part.blob))
        if content_type not in IMAGE_TYPES:
            self.out.notes.append(("image_format", {"number": n, "type": content_type}))
        return f'<img src="cid:{ref}" alt="{escape(alt)}">'

    # -- blocks -----------------------------------------------------------------------------------
    @staticmethod
    def paragraph_properties(p_el) -> dict:
        """The paragraph's properties by name, read in one pass (the first of each, as find() reads them)."""
        ppr = next(p_el.iterchildren(W_PPR), None)  # filtered in C: half the cost of find()
        return {child.tag: child for child in reversed(ppr)} if ppr is not None else {}

    def paragraph_style(self, p_el, props: dict | None = None) -> str:
        pstyle = (props if props is not None else self.paragraph_properties(p_el)).get(W_PSTYLE)
        return pstyle.get(W_VAL) if pstyle is not None else "Normal"

    def heading_level(self, props: dict, style_id: str) -> int | None:
        outline = props.get(W_OUTLINE)
        if outline is not None and int(outline.get(W_VAL)) < 6:
            return int(outline.get(W_VAL)) + 1
        if style_id not in self.style_headings:  # a long document has thousands of paragraphs, a few styles
            self.style_headings[style_id] = self._style_heading(style_id)
        return self.style_headings[style_id]

    def _style_heading(self, style_id: str) -> int | None:
        for element in self.style_chain(style_id):
            name = element.find(qn("w:name"))
            for label in (name.get(qn("w:val")) if name is not None else "", element.get(qn("w:styleId"))):
                if m := HEADING_STYLE.match(label or ""):
                    return int(m[1]) if m[1] else 1
        return None

    def list_info(self, props: dict, style_id: str) -> tuple[str, int] | None:
        """(list tag, level) from the paragraph's numbering, or its style's ("List Bullet" keeps it there)."""
        own = props.get(W_NUMPR)
        num_id = own.find(qn("w:numId")) if own is not None else None
        level = own.find(qn("w:ilvl")) if own is not None else None
        num = num_id.get(qn("w:val")) if num_id is not None else None
        lvl = int(level.get(qn("w:val"))) if level is not None else None
        if num_id is None:
            if style_id not in self.style_lists:
                self.style_lists[style_id] = self._style_list(style_id)
            num, style_level = self.style_lists[style_id]
            lvl = lvl if lvl is not None else style_level
        if num is None or num == "0":
            return None
        lvl = lvl or 0
        return self.list_formats.get((num, lvl), "ul"), lvl

    def _style_list(self, style_id: str) -> tuple[str | None, int | None]:
        """(numId, level) a paragraph style gives its paragraphs; Word's "List Bullet 2" is a second-level
        list of its own when the style names no level."""
        for element in self.style_chain(style_id):
            style_num = element.find("./w:pPr/w:numPr", NS)
            if style_num is not None and (num_id := style_num.find(qn("w:numId"))) is not None:
                level = style_num.find(qn("w:ilvl"))
                if level is not None:
                    return num_id.get(qn("w:val")), int(level.get(qn("w:val")))
                name = element.find(qn("w:name"))
                depth = LIST_STYLE_DEPTH.match(name.get(qn("w:val")) if name is not None else "")
                return num_id.get(qn("w:val")), int(depth[1]) - 1 if depth else None
        return None, None

    def paragraph(self, p_el) -> tuple[str, tuple[str, int] | None]:
        inner = self.runs(p_el).strip()
        text = TAGS.sub("", inner)
        if text.strip():
            self.text.append(text)
        props = self.paragraph_properties(p_el)
        style_id = self.paragraph_style(p_el, props)
        level = self.heading_level(props, style_id)  # a numbered heading ("1. Mục tiêu") is a heading, not a list item
        if not level and text.strip().rstrip(":") in TITLE_LINES:
            level = 2  # the title line of an administrative document: QUYẾT ĐỊNH, KẾ HOẠCH, CÔNG ĐIỆN …
        if level and inner:
            self.out.headings.append(text)
            return f"<h{level}>{inner}</h{level}>", None
        info = self.list_info(props, style_id)
        if info is not None:
            return inner, info
        if not inner:
            return "", None
        jc = props.get(W_JC)
        centred = jc is not None and jc.get(W_VAL) == "center"
        cls = ' class="has-text-align-center"' if centred else ""
        return f"<p{cls}>{inner}</p>", None

    def blocks(self, parent) -> str:
        html: list[str] = []
        stack: list[str] = []  # open list tags, innermost last

        def close_to(depth: int) -> None:
            while len(stack) > depth:
                html.append(f"</li></{stack.pop()}>")

        for child in parent.iterchildren():
            tag = child.tag
            if tag == W_P:
                content, info = self.paragraph(child)
                boxes, self.pending = self.pending, []
                if info is None:
                    close_to(0)
                    if content:
                        html.append(content)
                    html.extend(boxes)
                    continue
                kind, level = info
                close_to(level + 1)
                if len(stack) == level + 1 and stack[-1] != kind:  # a bullet list followed by a numbered one
                    close_to(level)
                if len(stack) == level + 1:
                    html.append("</li>")
                while len(stack) < level + 1:
                    html.append(f"<{kind}>")
                    stack.append(kind)
                    if len(stack) < level + 1:
                        html.append("<li>")
                html.append(f"<li>{content}")
            elif tag == W_TBL:
                close_to(0)
                html.append(self.table(child))
            elif tag == W_SDT:
                close_to(0)
                content = child.find(W_SDT_CONTENT)
                if content is not None:
                    html.append(self.blocks(content))
        close_to(0)
        return "".join(html)

    def table(self, tbl) -> str:
        rows = list(_unwrapped(tbl, "w:tr"))
        grid: list[list[dict]] = []
        for tr in rows:
            cells, col = [], 0
            for tc in _unwrapped(tr, "w:tc"):
                tcpr = tc.find(qn("w:tcPr"))
                span, vmerge = 1, None
                if tcpr is not None:
                    gs = tcpr.find(qn("w:gridSpan"))
                    span = int(gs.get(qn("w:val"))) if gs is not None else 1
                    vm = tcpr.find(qn("w:vMerge"))
                    if vm is not None:
                        vmerge = vm.get(qn("w:val"), "continue")
                cells.append({"tc": tc, "col": col, "span": span, "vmerge": vmerge, "rowspan": 1})
                col += span
            trpr = tr.find(qn("w:trPr"))
            header = trpr is not None and trpr.find(qn("w:tblHeader")) is not None
            grid.append([{**c, "header": header} for c in cells])
        for r, cells in enumerate(grid):  # fold vertical merges into rowspans
            for cell in cells:
                if cell["vmerge"] == "restart":
                    for below in grid[r + 1 :]:
                        match = next((c for c in below if c["col"] == cell["col"] and c["vmerge"] == "continue"), None)
                        if match is None:
                            break
                        cell["rowspan"] += 1
        out = ["<table>"]
        head_rows = [cells for cells in grid if cells and cells[0]["header"]]
        body_rows = grid[len(head_rows) :] if head_rows == grid[: len(head_rows)] else grid
        for section, rows_ in (("thead", head_rows if body_rows is not grid else []), ("tbody", body_rows)):
            if not rows_:
                continue
            out.append(f"<{section}>")
            for cells in rows_:
                out.append("<tr>")
                for cell in cells:
                    if cell["vmerge"] == "continue":
                        continue
                    tag = "th" if section == "thead" else "td"
                    attrs = (f' colspan="{cell["span"]}"' if cell["span"] > 1 else "") + (
                        f' rowspan="{cell["rowspan"]}"' if cell["rowspan"] > 1 else ""
                    )
                    inner = self.blocks(cell["tc"])
                    if inner.startswith("<p>") and inner.endswith("</p>") and inner.count("<p>") == 1:
                        inner = inner[3:-4]
                    out.append(f"<{tag}{attrs}>{inner}</{tag}>")
                out.append("</tr>")
            out.append(f"</{section}>")
        out.append("</table>")
        return "".join(out)


def _wrap(formatting: tuple, html: str) -> str:
    for tag in formatting:
        html = f"<{tag}>{html}</{tag}>"
    return html


def _unwrapped(parent, tag: str):
    """Children with this tag, including those inside content controls (w:sdt), as forms wrap rows and cells."""
    for child in parent:
        if child.tag == qn(tag):
            yield child
        elif child.tag == qn("w:sdt"):
            content = child.find(qn("w:sdtContent"))
            if content is not None:
                yield from _unwrapped(content, tag)


def _run_of(rfonts) -> etree._Element | None:
    """The run whose own properties hold this element (not a style's, nor a paragraph mark's)."""
    rpr = rfonts.getparent()
    run = rpr.getparent() if rpr.tag == W_RPR else None
    return run if run is not None and run.tag == W_R else None


def _rfonts_name(rfonts) -> str | None:
    if rfonts is None:
        return None
    return rfonts.get(W_ASCII) or rfonts.get(W_HANSI) or rfonts.get(W_CS)


def docx_to_html(data: bytes, inflated: dict[str, bytes] | None = None) -> Converted:
    """``inflated``: the package's members already read, by name (see _Package)."""
    doc = _Package(data, inflated)
    conv = _Converter(doc)
    conv.out.html = conv.blocks(doc.body) + conv.notes_html()
    for kind, tag in (("object", qn("w:object")), ("altchunk", qn("w:altChunk"))):
        if found := sum(1 for _ in doc.body.iter(tag)):
            conv.out.removed[kind] = [tag] * found
    conv.out.text = "".join(line + "\n" for line in conv.text)
    return conv.out
