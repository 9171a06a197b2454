"""Render every page of a PDF to PNG, to look at a written paper's layout: render_pdf_pages.py FILE.pdf OUTDIR."""
from __future__ import annotations

import sys
from pathlib import Path

SCALE = 1.5  # 1.5 x 72 dpi = 108 dpi: small print stays legible, files stay small


def render_pages(pdf_bytes: bytes, outdir: Path | str, scale: float = SCALE) -> list[Path]:
    """Each page as OUTDIR/page-NN.png, in page order; returns the paths written."""
    import pypdfium2 as pdfium

    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    document = pdfium.PdfDocument(pdf_bytes)
    paths = []
    try:
        for index in range(len(document)):
            page = document[index]
            try:
                bitmap = page.render(scale=scale)
                path = outdir / f"page-{index + 1:02d}.png"
                bitmap.to_pil().save(path, format="PNG")
                paths.append(path)
            finally:
                page.close()
    finally:
        document.close()
    return paths


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    for path in render_pages(Path(argv[0]).read_bytes(), argv[1]):
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
