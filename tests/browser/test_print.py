"""Every printed result: one A4 page up to three certificates, two at most for all six, the next
steps on the page, and a QR code that any phone reads and that leads back to the same answer."""

import re

import pypdfium2
import pytest
import zxingcpp

from recognition.models import Issuance
from tests.test_engine import ALL_COMBINATIONS, NOTICE_ROWS, in_picker_order

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


NAMES = {
    "low-voltage-electrician": "低压电工作业特种作业操作证",
    "high-voltage-electrician": "高压电工作业特种作业操作证",
    "building-electrician": "建筑电工特种作业操作证",
    "fusion-welding-cutting": "熔化焊接与热切割作业特种作业操作证",
    "building-welder": "建筑焊工特种作业操作证",
    "special-equipment-welder": "特种设备焊接操作人员证书",
}
REGION_CONDITION = "申请地区的住房城乡建设主管部门颁发建筑焊工特种作业操作证"


def pdf_text(pdf) -> str:
    """The printed words with the line breaks taken out, so a condition broken over two lines still reads."""
    return re.sub(r"\s+", "", "".join(pdf[i].get_textpage().get_text_range() for i in range(len(pdf))))


def missing_on_paper(held, flat: str) -> list[str]:
    """Every outcome stated carries, on paper, each condition (合法有效, 序号4's region) and its citation."""
    missing = []
    for serial, (start, target, *_) in NOTICE_ROWS.items():
        if start not in held or target in held:
            continue
        if f"所持{NAMES[start]}是" not in flat or "合法有效证书" not in flat:
            missing.append(f"序号{serial}: 合法有效")
        if serial == 4 and REGION_CONDITION not in flat:
            missing.append("序号4: the issuing region")
        if not re.search(rf"附件序号(\d+、)*{serial}(、\d+)*\(本站重建\)", flat):
            missing.append(f"序号{serial}: citation")
    return missing


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
        if missing := missing_on_paper(held, pdf_text(pdf)):
            problems.append((held, region, missing))
        if "点击" in text:
            problems.append((held, region, "says 点击 on paper"))
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
    image = page.locator(".print-qr img")
    svg = page.request.get(site + image.get_attribute("src")).text()
    assert 'viewBox="0 0 ' in svg and "width=" not in svg.split(">")[0]  # drawn at whatever size print gives it
    assert image.evaluate("img => img.complete && img.naturalWidth > 0")
    box = image.bounding_box()
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


@pytest.mark.parametrize(
    "held,region",
    [(("fusion-welding-cutting",), "32"), (("building-welder", "special-equipment-welder"), None)],
)
def test_the_printout_carries_every_condition_and_each_certificate_s_own_waiver(site, page, held, region):
    """Issue 16 A2, A3: the conditions print, and two certificates for one target each with their own waiver."""
    page.goto(site + address(held, region))
    pdf = pypdfium2.PdfDocument(page.pdf(format="A4", print_background=True))
    flat = pdf_text(pdf)
    assert missing_on_paper(held, flat) == []
    assert len(pdf) == 1
    if "building-welder" in held:
        assert "凭您的特种设备焊接操作人员证条件:" in flat
        assert "另:凭您的建筑焊工操作证:可以不参加安全技术培训,直接参加安全技术考试" in flat
        assert "核验您所持的证书:" in flat and "建筑焊工操作证https://zlaq.mohurd.gov.cn/" in flat
