"""Email and phone normalisation. The libraries are imported on first use (cold start)."""

from __future__ import annotations

from functools import lru_cache

from chalicelib.domain.errors import InvalidInputError


def normalize_email(raw: str) -> str:
    """The address as people type it, checked; the domain lower-cased."""
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
    if not phonenumbers.is_valid_number(number):
        raise InvalidInputError.one(
            field_name,
            f"{raw!r} is not a valid phone number (national numbers are read as {region})",
        )
    return str(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164))


def is_valid_region(region: str) -> bool:
    import phonenumbers

    return region in phonenumbers.SUPPORTED_REGIONS
