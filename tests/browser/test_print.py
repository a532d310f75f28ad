"""Every printed result: one A4 page up to three certificates, two at most for all six, the next
steps on the page, and a QR code that any phone reads and that leads back to the same answer."""

import pypdfium2
import pytest
import zxingcpp

from recognition.models import Issuance
from tests.test_engine import ALL_COMBINATIONS, in_picker_order

# Regions where the answer differs: 熔化焊接 -> 建筑焊工 holds only where 建筑焊工 is issued.
REGIONS = {"31": Issuance.Status.NOT_ISSUED, "44": Issuance.Status.ISSUED, "11": Issuance.Status.UNKNOWN}
DEPENDS_ON_REGION = [
    held for held in ALL_COMBINATIONS if "fusion-welding-cutting" in held and "building-welder" not in held
]
CASES = [(held, None) for held in ALL_COMBINATIONS] + [
    (held, region) for held in DEPENDS_ON_REGION for region in REGIONS
]


def address(held, region) -> str:
    query = "&".join(f"held={slug}" for slug in in_picker_order(held))
    return f"/?{query}&region={region}" if region else f"/?{query}"


def qr_codes(image) -> list[str]:
    """QR codes only: at 300 dpi a line of text is now and then misread as a one-dimensional barcode."""
    return [barcode.text for barcode in zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)]


def headlines(page) -> list[str]:
    return page.locator("#results .card h4").all_inner_texts()


@pytest.mark.print_all
def test_every_printed_result_fits_and_its_qr_code_leads_back_to_the_same_answer(site, page):
    for code, status in REGIONS.items():
        Issuance.objects.filter(province__code=code, certificate__slug="building-welder").update(status=status)
    Issuance.objects.first().save()  # one save bumps the data version for the live server
    problems = []
    for held, region in CASES:
        url = site + address(held, region)
        page.goto(url)
        answer = headlines(page)
        applies = page.locator("#results .card:not(.excluded)").count()
        pdf = pypdfium2.PdfDocument(page.pdf(format="A4", print_background=True))
        pages = len(pdf)
        if pages > (1 if len(held) <= 3 else 2):
            problems.append((held, region, f"{pages} pages"))
        text = "".join(pdf[i].get_textpage().get_text_range() for i in range(pages))
        if applies and not ("下一步" in text and "12345" in text):
            problems.append((held, region, "no next steps"))
        if "姓名" not in text or "办理日期" not in text:
            problems.append((held, region, "no blank lines for the clerk"))
        image = pdf[pages - 1].render(scale=300 / 72).to_pil()
        codes = qr_codes(image)
        if codes != [url]:
            problems.append((held, region, f"QR code read as {codes}"))
            continue
        page.goto(codes[0])
        if headlines(page) != answer:
            problems.append((held, region, "the QR code leads to another answer"))
    assert problems == [], problems
    assert len(CASES) == 63 + 16 * 3


def test_the_printed_qr_code_is_at_least_25_mm_and_scales_with_a_viewbox(site, page):
    page.goto(site + address(tuple(ALL_COMBINATIONS[-1]), "66"))
    page.emulate_media(media="print")
    svg = page.locator(".print-qr svg")
    assert svg.get_attribute("viewBox")
    box = svg.bounding_box()
    assert box["width"] * 25.4 / 96 >= 25 and box["height"] * 25.4 / 96 >= 25


@pytest.mark.parametrize("path", ["/certificates/building-welder/", "/routes/?target=special-equipment-welder"])
def test_certificate_and_routes_pages_print_with_the_same_footer(site, page, path):
    page.goto(site + path)
    pdf = pypdfium2.PdfDocument(page.pdf(format="A4", print_background=True))
    text = "".join(pdf[i].get_textpage().get_text_range() for i in range(len(pdf)))
    for needed in ["打印日期", "规则版本", "本页网址"]:
        assert needed in text, needed
    image = pdf[len(pdf) - 1].render(scale=300 / 72).to_pil()
    assert qr_codes(image) == [site + path]
