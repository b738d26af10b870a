"""Award PDF render time: a 10-page award in English and in Arabic, through
app/services/pdf.py render_decision (the function the decisions job calls).

    python bench/pdf_render.py            # 10 pages, 5 renders per language
    python bench/pdf_render.py --pages 20 --repeat 10

The context is the plain-data context of tests/test_pdf_render.py with findings and reasoning
lengthened until the PDF has the wanted number of pages (counted with pypdf).
"""

from __future__ import annotations

import argparse
import io
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PARAGRAPH = {
    "en": ("The Tribunal has considered the evidence of use of the registered mark in the "
           "territories concerned, the invoices and customs records exhibited by the Claimant, "
           "and the Respondent's explanation of its supply chain. The goods are identical and "
           "the signs are identical; no licence, consent or exhaustion has been shown. "),
    "ar": ("نظرت هيئة التحكيم في أدلة استعمال العلامة المسجلة في الأقاليم المعنية، وفي الفواتير "
           "وسجلات الجمارك التي قدمتها المدعية، وفي تفسير المدعى عليها لسلسلة التوريد لديها. "
           "السلع متطابقة والعلامتان متطابقتان، ولم يثبت وجود ترخيص أو موافقة أو استنفاد للحق. "),
}


def page_count(data: bytes) -> int:
    from pypdf import PdfReader

    return len(PdfReader(io.BytesIO(data)).pages)


def context_for(lang: str, paragraphs: int) -> dict:
    from tests.test_pdf_render import make_context

    context = make_context(lang, "award")
    text = "\n\n".join(PARAGRAPH[lang] * 3 for _ in range(paragraphs))
    context["award"]["findings"] = text
    context["award"]["reasoning"] = text
    return context


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=int, default=10)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)

    import logging

    import config
    from app import create_app

    started = time.perf_counter()
    from app.services import pdf

    pdf._weasyprint()
    import_s = time.perf_counter() - started
    app = create_app(config.TestConfig())
    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    print(f"import weasyprint (once per worker): {import_s:.2f} s")
    # Wall time suffers when other processes share the CPU; CPU time is what one render
    # costs a worker.
    print(f"{'language':<9}{'pages':>6}{'first s':>9}{'median s':>10}{'min s':>8}{'s/page':>8}"
          f"{'CPU s':>9}")
    with app.app_context():
        for lang in ("en", "ar"):
            paragraphs = 4
            for _ in range(6):  # grow the text until the award has the wanted pages
                t0 = time.perf_counter()
                data = pdf.render_decision("award.html", context_for(lang, paragraphs),
                                           lang=lang)
                first = time.perf_counter() - t0
                pages = page_count(data)
                if pages == args.pages:
                    break
                paragraphs = max(1, round(paragraphs * (args.pages - 1.2) / max(pages - 1.2,
                                                                                  0.5)))
            context = context_for(lang, paragraphs)
            times, cpu = [], []
            for _ in range(args.repeat):
                t0, c0 = time.perf_counter(), time.process_time()
                data = pdf.render_decision("award.html", context, lang=lang)
                times.append(time.perf_counter() - t0)
                cpu.append(time.process_time() - c0)
            pages = page_count(data)
            median = statistics.median(times)
            print(f"{lang:<9}{pages:>6}{first:>9.2f}{median:>10.2f}{min(times):>8.2f}"
                  f"{median / pages:>8.3f}{statistics.median(cpu):>9.2f}", flush=True)


if __name__ == "__main__":
    main()
