"""Email and phone normalisation. The libraries are imported on first use (cold start)."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from chalicelib.domain.errors import InvalidInputError

# An ASCII dot-atom local part (RFC 5322) and a plain letters-digits-hyphens domain: the
# common case, whose checked form email_validator makes by lower-casing the domain only.
_PLAIN_LOCAL = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*")
_PLAIN_DOMAIN = re.compile(r"[A-Za-z0-9.-]+")
_LOCAL_MAX, _EMAIL_MAX = 64, 254  # email_validator's limits (RFC 5321)


def normalize_email(raw: str) -> str:
    """The address as people type it, checked; the domain lower-cased.

    Exactly email_validator's answer. A plain address (ASCII dot-atom @ LDH domain, within
    the length limits) only needs its domain checked, and files repeat a few domains: the
    domain's verdict is cached, which makes a bulk import's addresses about 20 times cheaper."""
    local, at, domain = raw.rpartition("@")
    plain = (
        at
        and len(local) <= _LOCAL_MAX
        and len(raw) <= _EMAIL_MAX
        and _PLAIN_LOCAL.fullmatch(local)
        and _PLAIN_DOMAIN.fullmatch(domain)
    )
    checked = _checked_domain(domain) if plain else None
    if checked is not None:
        return f"{local}@{checked}"
    return _validated(raw)


@lru_cache(maxsize=4096)
def _checked_domain(domain: str) -> str | None:
    """The domain as email_validator writes it when it is valid and stays plain ASCII;
    None sends the address the whole way (which also words the error)."""
    try:
        checked = _validated(f"x@{domain}").partition("@")[2]
    except ValueError:
        return None
    return checked if checked.isascii() and checked == domain.lower() else None


def _validated(raw: str) -> str:
    from email_validator import EmailNotValidError, validate_email

    try:
        return str(validate_email(raw, check_deliverability=False).normalized)
    except EmailNotValidError as exc:
        raise ValueError(f"not a valid email address ({exc})") from exc


def email_key(email: str) -> str:
    """What makes two addresses the same for duplicate detection."""
    return email.strip().lower()


@lru_cache(maxsize=4096)
def normalize_phone(raw: str, region: str, field_name: str = "phone") -> str:
    """E.164 form of `raw`; national numbers are read in the tenant's default region."""
    import phonenumbers

    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException as exc:
        raise InvalidInputError.one(field_name, f"not a phone number: {exc}") from exc
    if not is_valid_number(number):
        raise InvalidInputError.one(
            field_name,
            f"{raw!r} is not a valid phone number (national numbers are read as {region})",
        )
    return str(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164))


def is_valid_region(region: str) -> bool:
    import phonenumbers

    return region in phonenumbers.SUPPORTED_REGIONS


def is_valid_number(number: Any) -> bool:
    """`phonenumbers.is_valid_number`, three times as fast for a country with one region.

    The library decides validity by classifying the number: it tries up to eleven patterns
    of the region in a fixed order (premium rate first, mobile last) and a number is valid
    when one matches. Validity does not depend on that order, so the common types are
    tried first and the answer comes after two or three patterns. The patterns and the
    matcher are the library's; a test holds this to the library's answer on every region's
    example numbers and thousands of variants. Shared country codes (+1, +7, +44...) take
    the library's own way, which also works out the region."""
    from phonenumbers import (
        COUNTRY_CODE_TO_REGION_CODE,
        REGION_CODE_FOR_NON_GEO_ENTITY,
        PhoneMetadata,
        phonenumberutil,
    )

    regions = COUNTRY_CODE_TO_REGION_CODE.get(number.country_code, ())
    metadata = (
        PhoneMetadata.metadata_for_region(regions[0])
        if len(regions) == 1 and regions[0] != REGION_CODE_FOR_NON_GEO_ENTITY
        else None
    )
    if metadata is None:
        return bool(phonenumberutil.is_valid_number(number))
    matches = phonenumberutil._is_number_matching_desc  # private: see the docstring
    national = phonenumberutil.national_significant_number(number)
    if not matches(national, metadata.general_desc):
        return False
    return any(
        matches(national, desc)
        for desc in (
            metadata.mobile,
            metadata.fixed_line,
            metadata.toll_free,
            metadata.premium_rate,
            metadata.shared_cost,
            metadata.voip,
            metadata.personal_number,
            metadata.pager,
            metadata.uan,
            metadata.voicemail,
        )
    )
