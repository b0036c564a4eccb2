"""Receipt-style text (shop names, addresses, item lines, totals, tax ids, dates, times), for fine-tuning a
recognizer to printed receipts. Words come from the offline corpus; the layout conventions are generic."""

from __future__ import annotations

import random

from scriba.train.synth.corpus import Corpus

_UNITS = ["PCS", "KG", "G", "EA", "X", "PKT", "BTL", "CTN", "BOX"]
_LABELS = [
    "TOTAL",
    "SUBTOTAL",
    "SUB TOTAL",
    "CASH",
    "CHANGE",
    "ROUNDING",
    "GST",
    "SST",
    "TAX",
    "DISCOUNT",
    "TOTAL QTY",
    "NET TOTAL",
    "AMOUNT",
    "BALANCE",
    "TENDERED",
    "VISA",
    "MASTER",
    "DEBIT",
]
_HEADS = [
    "SDN BHD",
    "ENTERPRISE",
    "TRADING",
    "STORE",
    "MART",
    "RESTAURANT",
    "HARDWARE",
    "BOOK STORE",
    "CO.",
    "LTD",
    "SUPERMARKET",
    "STATIONERY",
    "CAFE",
    "PHARMACY",
]
_STREETS = ["JALAN", "JLN", "LOT", "NO.", "TAMAN", "ROAD", "STREET", "AVENUE", "LORONG", "BLOCK"]
_FIELDS = [
    "INVOICE NO",
    "RECEIPT NO",
    "BILL NO",
    "DATE",
    "TIME",
    "CASHIER",
    "TABLE",
    "MEMBER",
    "TEL",
    "FAX",
    "GST ID",
    "REG NO",
    "DOC NO",
    "COUNTER",
    "POS",
    "SALESPERSON",
    "QTY",
    "PRICE",
    "AMT",
    "ITEM",
]


class ReceiptTextSampler:
    def __init__(self, corpus: Corpus, rng: random.Random) -> None:
        self.rng = rng
        self.words = [w for w in corpus.words if w.isalpha() and 2 <= len(w) <= 10] or corpus.words

    def _w(self, n: int = 1) -> str:
        return " ".join(self.rng.choice(self.words).upper() for _ in range(n))

    def _money(self) -> str:
        v = self.rng.choice([self.rng.uniform(0, 20), self.rng.uniform(0, 300), self.rng.uniform(0, 3000)])
        s = f"{v:,.2f}" if self.rng.random() < 0.3 else f"{v:.2f}"
        return self.rng.choice(["", "", "RM", "RM ", "$", "-"]) + s

    def sample(self, max_chars: int = 40) -> str:
        r, rng = self.rng.random(), self.rng
        if r < 0.12:
            text = f"{self._w(rng.randint(1, 3))} {rng.choice(_HEADS)}"
        elif r < 0.22:
            text = f"{rng.choice(_STREETS)} {self._w(rng.randint(1, 2))} {rng.randint(1, 99)}{rng.choice(['', ',', '/2'])}"
            if rng.random() < 0.5:
                text += f" {rng.randint(10000, 99999)} {self._w()}"
        elif r < 0.42:
            qty = rng.randint(1, 12)
            text = rng.choice(
                [
                    f"{self._w(rng.randint(1, 3))} {qty} {rng.choice(_UNITS)} {self._money()}",
                    f"{qty} X {self._money()} {self._money()}",
                    f"{rng.randint(10**11, 10**13 - 1)} {self._w(rng.randint(1, 2))}",
                    f"{self._w(rng.randint(1, 2))} {self._money()}",
                    f"{qty} {self._w(rng.randint(1, 3))}",
                ]
            )
        elif r < 0.6:
            label = rng.choice(_LABELS)
            text = rng.choice(
                [
                    f"{label}: {self._money()}",
                    f"{label} {self._money()}",
                    f"{label} ({rng.choice([0, 6, 10])}%) {self._money()}",
                    label,
                ]
            )
        elif r < 0.8:
            f = rng.choice(_FIELDS)
            d, m, y = rng.randint(1, 28), rng.randint(1, 12), rng.randint(2015, 2026)
            value = rng.choice(
                [
                    f"{d:02d}/{m:02d}/{y}",
                    f"{d:02d}-{m:02d}-{y}",
                    f"{y}-{m:02d}-{d:02d}",
                    f"{rng.randint(1, 12)}:{rng.randint(0, 59):02d}:{rng.randint(0, 59):02d} {rng.choice(['AM', 'PM'])}",
                    f"{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}",
                    f"{rng.choice(['CS', 'INV', 'OR', 'T'])}{rng.randint(1000, 99999999)}",
                    f"0{rng.randint(1, 9)}-{rng.randint(1000000, 9999999)}",
                    f"{rng.randint(100000, 999999)}-{rng.choice('ABCKPTUVWX')}",
                    self._w(),
                ]
            )
            text = f"{f}{rng.choice([':', ' :', '', '#', ' #'])} {value}"
        elif r < 0.9:
            text = rng.choice(
                [
                    "THANK YOU",
                    "PLEASE COME AGAIN",
                    "GOODS SOLD ARE NOT RETURNABLE",
                    "THANK YOU & PLEASE COME AGAIN !",
                    "*** COPY ***",
                    "TAX INVOICE",
                    "CASH BILL",
                    "SIMPLIFIED TAX INVOICE",
                    "*" * rng.randint(3, 20),
                    "-" * rng.randint(5, 30),
                    "=" * rng.randint(5, 30),
                    f"({self._w(rng.randint(1, 2))})",
                ]
            )
        else:
            text = self._money()
        return text[:max_chars].strip() or "TOTAL"
