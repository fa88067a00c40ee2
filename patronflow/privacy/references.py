"""How privacy names people without naming them: keyed hashes of an address (what the
suppression list keeps of an erased member's address), of an erased member (the erasure
register) and of a member in the audit log, each with its own key, so that no two of them
can be joined without the secret key."""

from patronflow.crypto import salted_hmac

ADDRESS_KEY_SALT = "patronflow.privacy.suppression.address"
ERASURE_KEY_SALT = "patronflow.privacy.erasure.member"
AUDIT_KEY_SALT = "patronflow.privacy.audit.member"


def address_reference(address: str) -> str:
    """A suppressed address as a keyed hash: what the suppression list keeps of an erased
    member's address, so that it still stops mail to it without holding it in clear."""
    value = address.strip().lower()
    return salted_hmac(ADDRESS_KEY_SALT, value).hexdigest()


def erasure_reference(library_code: str, external_id: str) -> str:
    """How the erasure register names a member: a keyed hash of library and member id (its
    own key, so that register and audit log cannot be joined without the secret key)."""
    value = f"{library_code}:{external_id.strip()}"
    return salted_hmac(ERASURE_KEY_SALT, value).hexdigest()


def member_reference(library_code: str, external_id: str) -> str:
    """How the audit log names a member: a keyed hash of library and member id.

    The same member always gets the same reference, so "who looked at my data?" can be
    answered by computing it again; without the instance's secret key it cannot be
    turned back into a member id.
    """
    value = f"{library_code}:{external_id}"
    return salted_hmac(AUDIT_KEY_SALT, value).hexdigest()
