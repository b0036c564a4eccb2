"""Scripts the document sets lack: Chinese, Japanese and accented Latin pages rendered here with real fonts,
read by each engine, scored by character F1 (multiset of characters, spaces left out) and exact lines.

    python benchmarks/rendered.py                                   # scriba on v5, v6-tiny, v6
    python benchmarks/rendered.py --engines scriba-ppocrv6,onnxocr4-ppocrv6
"""

from __future__ import annotations

import argparse
import sys
import unicodedata
from collections import Counter
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

sys.path.insert(0, str(Path(__file__).resolve().parent))

FONTS = {
    "zh": ["/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"],
    "ja": ["/usr/share/fonts/opentype/ipafont-gothic/ipag.ttf"],
    "latin": [
        "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
        "/usr/share/fonts/truetype/liberation/LiberationSerif-Regular.ttf",
    ],
}
TEXT = {
    "zh": [
        "本公司成立于二〇一二年，主要从事软件开发与技术服务。",
        "会议时间：2026年12月7日上午九点，地点在三楼会议室。",
        "请各部门于本周五前提交年度工作总结和明年的预算计划。",
        "产品说明书应当使用规范的简体中文，并标明生产日期。",
        "合同总金额为人民币壹拾贰万伍仟元整（¥125,000.00）。",
        "北京市海淀区中关村大街一号，邮政编码100080。",
        "如有疑问，请拨打客服热线400-800-1234咨询。",
        "天气预报：明天多云转晴，最高气温十八摄氏度。",
    ],
    "ja": [
        "本日は晴天なり。明日の天気は曇りのち雨でしょう。",
        "会議は午後三時から第二会議室で行います。",
        "ご注文いただいた商品は、来週の月曜日に発送いたします。",
        "東京都千代田区丸の内一丁目一番一号",
        "お問い合わせは、カスタマーサポートまでご連絡ください。",
        "令和八年十二月七日　株式会社テスト商事",
        "この文書は機密情報を含みますので、取り扱いに注意してください。",
        "ひらがなとカタカナと漢字が混ざった文章を読み取ります。",
    ],
    "latin": [
        "Le conseil municipal s'est réuni à l'hôtel de ville à dix-huit heures.",
        "Die Übergabe der Schlüssel erfolgt am Montag, den 7. Dezember.",
        "El señor Muñoz pagó la cuenta con una tarjeta de crédito.",
        "A reunião começará às nove horas, na sala de conferências.",
        "Zażółć gęślą jaźń — polski pangram z wszystkimi znakami.",
        "Příliš žluťoučký kůň úpěl ďábelské ódy.",
        "Köttbullar och smörgåsbord serveras på fredag i Göteborg.",
        "Ærlig talt er det for koldt til at gå en tur i Århus.",
        "İstanbul'da güneşli bir gün, çay ve simit ile başladı.",
        "Árvíztűrő tükörfúrógép és őszibarack a piacon.",
    ],
}


def render(lines: list[str], font_path: str, size: int = 30, width: int = 1500) -> np.ndarray:
    f = ImageFont.truetype(font_path, size)
    img = Image.new("RGB", (width, int(60 * 2 + 1.9 * size * len(lines))), "white")
    d = ImageDraw.Draw(img)
    for k, text in enumerate(lines):
        d.text((60, 60 + int(k * 1.9 * size)), text, font=f, fill=(0, 0, 0))
    return np.asarray(img)


def chars(text: str) -> Counter[str]:
    return Counter(ch for ch in unicodedata.normalize("NFKC", text) if not ch.isspace())


def make_engine(name: str):
    if name.startswith("onnxocr4-"):
        from peer_onnxocr4 import Peer

        peer = Peer("tiny" if name.endswith("-tiny") else "small")
        return lambda rgb: [ln["text"] for ln in peer(rgb)]
    from scriba import OCR

    engine = OCR(model=name.removeprefix("scriba-"))
    return lambda rgb: [ln.text for ln in engine.ocr_image(rgb).lines]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--engines", default="scriba-ppocrv5,scriba-ppocrv6-tiny,scriba-ppocrv6")
    args = ap.parse_args()
    pages = [(script, font, render(TEXT[script], font)) for script, fonts in FONTS.items() for font in fonts]
    print("| engine | " + " | ".join(f"{s} char F1 / lines exact" for s in FONTS) + " |")
    print("|---|" + "---|" * len(FONTS))
    for name in args.engines.split(","):
        read = make_engine(name)
        cells = []
        for script in FONTS:
            m = p = r = exact = total = 0
            for s, _font, image in pages:
                if s != script:
                    continue
                got = read(image)
                pred, ref = chars("".join(got)), chars("".join(TEXT[s]))
                m, p, r = m + sum((pred & ref).values()), p + sum(pred.values()), r + sum(ref.values())
                squash = {t.replace(" ", "") for t in got}
                exact += sum(t.replace(" ", "") in squash for t in TEXT[s])
                total += len(TEXT[s])
            f1 = 2 * m / (p + r) if p + r else 0.0
            cells.append(f"{100 * f1:.1f} / {exact}/{total}")
        print(f"| {name} | " + " | ".join(cells) + " |", flush=True)


if __name__ == "__main__":
    main()
