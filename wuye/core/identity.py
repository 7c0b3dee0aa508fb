"""Checking and normalising the numbers that identify people and companies: resident ID
numbers (python-stdnum `cn.ric`), unified social credit codes (`cn.uscc`), phone numbers
(phonenumbers), and names in pinyin for search.

Every check raises a field-level `ValidationError` with a message a clerk understands; every
normaliser returns the one form that is encrypted, hashed and compared.
"""

from __future__ import annotations

import datetime
import re
from functools import lru_cache

import phonenumbers
from django.utils import timezone
from django.utils.translation import gettext as _
from pypinyin import Style, lazy_pinyin
from stdnum.cn import ric, uscc
from stdnum.exceptions import InvalidChecksum, InvalidComponent, InvalidFormat, InvalidLength

from .errors import invalid

# Legacy registers fill a required phone or ID column with these; they are kept, but flagged
# as "to clean" rather than taken for a real number.
_HAN_ONLY = re.compile(r"^[\u4e00-\u9fff]+$")
PLACEHOLDER_PHONES = frozenset({"13800138000", "13888888888", "12345678901", "13000000000"})


def name_pinyin(name: str) -> str:
    """ "张三" → "zhangsan zs": the whole pinyin and the initials, both searchable."""
    syllables = [s.lower() for s in lazy_pinyin(name) if s.strip()]
    if _HAN_ONLY.match(name):  # a Chinese syllable's initial is its first letter: one pass
        initials = [s[:1] for s in syllables]
    else:
        initials = [s.lower() for s in lazy_pinyin(name, style=Style.FIRST_LETTER) if s.strip()]
    return f"{''.join(syllables)} {''.join(initials)}"[:200]


def pinyin_query(text: str) -> str:
    """What a search box's text is compared with in a `name_pinyin` column."""
    return re.sub(r"\s+", "", text.lower())


# ---------------------------------------------------------------------------------------------
# Phone numbers


_CN_MOBILE = re.compile(r"^1[3-9]\d{9}$")


@lru_cache(maxsize=8192)
def _valid_cn_mobile_block(block: str) -> bool:
    """Whether phonenumbers takes the 11-digit numbers of a mobile block (13xxx … 19xxx, the
    first five digits) for valid: in phonenumbers' Chinese metadata their validity depends on
    the block alone (a test checks every block), so one parse serves every number in it and an
    import of 10,000 rows parses a few hundred."""
    return phonenumbers.is_valid_number(phonenumbers.parse(block + "000000", "CN"))


def normalize_cn_mobile(text: str) -> str | None:
    """A plain 11-digit mobile number, checked by its block; None for any other shape."""
    if _CN_MOBILE.match(text) and _valid_cn_mobile_block(text[:5]):
        return text
    return None


def parse_phone(raw: str, field: str = "phone") -> phonenumbers.PhoneNumber:
    text = (raw or "").strip()
    try:
        parsed = phonenumbers.parse(text, "CN")
    except phonenumbers.NumberParseException:
        parsed = None
    if parsed is None or not phonenumbers.is_valid_number(parsed):
        raise invalid(
            field,
            _("%(value)s is not a valid phone number.") % {"value": text or "—"},
            "bad_phone",
        )
    return parsed


def normalize_phone(raw: str, field: str = "phone") -> str:
    """The number as compared and stored: 13812345678 for a Chinese number (010 12345678
    becomes 01012345678), +44… in E.164 for a foreign one."""
    mobile = normalize_cn_mobile((raw or "").strip())
    if mobile:
        return mobile
    parsed = parse_phone(raw, field)
    if parsed.country_code == 86:
        return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.NATIONAL).replace(
            " ", ""
        )
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def phone_digits(raw: str) -> str:
    return re.sub(r"\D", "", raw or "")


def is_placeholder_phone(raw: str) -> bool:
    """18999999999, 13800138000…: a number someone typed to fill the column."""
    digits = phone_digits(raw)
    if not digits:
        return False
    return digits in PLACEHOLDER_PHONES or len(set(digits[-8:])) == 1


# ---------------------------------------------------------------------------------------------
# Identity documents


def _id_text(raw: str) -> str:
    return re.sub(r"\s+", "", raw or "").upper()


def is_placeholder_id(raw: str) -> bool:
    """111111111111111111, 000000000000000000…: one character repeated."""
    text = _id_text(raw)
    return len(text) >= 6 and len(set(text)) == 1


@lru_cache(maxsize=4096)
def _known_region(code: str) -> bool:
    from stdnum import numdb

    return any("province" in props for _part, props in numdb.get("cn/loc").info(code))


def _known_province(number: str) -> bool:
    return _known_region(number[:6])


_A_DAY = datetime.timedelta(days=1)


@lru_cache(maxsize=65536)
def _birth_date(digits: str) -> datetime.date | None:
    """YYYYMMDD as a date, None when no such day."""
    try:
        return datetime.date(int(digits[:4]), int(digits[4:6]), int(digits[6:8]))
    except ValueError:
        return None


def check_resident_id(raw: str, field: str = "id_number") -> tuple[str, datetime.date]:
    """A mainland resident ID number (18 characters, last may be X) and the birth date it
    carries; each way it can be wrong has its own message.

    `stdnum.cn.ric.validate` also refuses a county code that did not exist in the birth year,
    but a code is assigned where the card is first issued: 440305 (南山区, since 1990) is right
    for a Shenzhen resident born in 1975. So the check digit and birth date come from stdnum,
    and of the region only the province must be known.
    """
    number = _id_text(raw)
    if len(number) != 18:
        raise invalid(
            field,
            _("A resident ID number has 18 characters; this one has %(count)s.")
            % {"count": len(number)},
            "bad_length",
        )
    if not number[:-1].isdigit() or not (number[-1].isdigit() or number[-1] == "X"):
        raise invalid(
            field, _("A resident ID number is 17 digits followed by a digit or X."), "bad_format"
        )
    if ric.calc_check_digit(number) != number[-1]:
        raise invalid(
            field,
            _("The check digit of this ID number is wrong; please check it against the card."),
            "bad_checksum",
        )
    birth_date = _birth_date(number[6:14])  # as stdnum's ric.get_birth_date reads it
    if birth_date is None:
        raise invalid(field, _("This ID number holds an impossible birth date."), "bad_birth_date")
    # The local date (a time-zone lookup) only for a birth date near today: it is within a
    # day of the UTC date.
    if birth_date >= timezone.now().date() - _A_DAY and birth_date > timezone.localdate():
        raise invalid(field, _("This ID number holds a birth date in the future."), "future_birth")
    if not _known_province(number):
        raise invalid(field, _("This ID number holds an unknown region."), "bad_region")
    return number, birth_date


def gender_from_resident_id(number: str) -> str:
    return "male" if int(number[16]) % 2 else "female"


def check_uscc(raw: str, field: str = "id_number") -> str:
    """A unified social credit code (统一社会信用代码): 18 characters with a check character."""
    number = _id_text(raw)
    try:
        return uscc.validate(number)
    except InvalidLength as exc:
        raise invalid(
            field,
            _("A unified social credit code has 18 characters; this one has %(count)s.")
            % {"count": len(number)},
            "bad_length",
        ) from exc
    except InvalidChecksum as exc:
        raise invalid(
            field,
            _("The check character of this credit code is wrong."),
            "bad_checksum",
        ) from exc
    except (InvalidFormat, InvalidComponent) as exc:
        raise invalid(
            field,
            _(
                "This is not a unified social credit code (digits and capital letters, no I O Z S V)."
            ),
            "bad_format",
        ) from exc


def normalize_document(raw: str) -> str:
    """A foreign or other document number, stored as given apart from spacing and case."""
    return _id_text(raw)


# ---------------------------------------------------------------------------------------------
# Masks


def mask(value: str, *, head: int = 3, tail: int = 4) -> str:
    """110***********1234, 138****5678: the first three and the last four characters."""
    if not value:
        return ""
    if len(value) <= head + tail:
        keep = max(1, len(value) // 4)
        return "*" * (len(value) - keep) + value[-keep:]
    return value[:head] + "*" * (len(value) - head - tail) + value[-tail:]


def mask_phone(normalized: str) -> str:
    if normalized.startswith("+"):
        return normalized[:3] + mask(normalized[3:], head=0)
    return mask(normalized)
