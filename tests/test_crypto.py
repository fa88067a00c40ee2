"""The sending core's keyed hashes are Django's: a token or return path made by the fast
path reads back through django.core.signing and the stored register hashes still match."""

from django.core import signing
from django.utils import crypto as django_crypto
from hypothesis import given
from hypothesis import strategies as st

from patronflow import crypto
from patronflow.mail.tokens import TokenData, make_token, read_token

salts = st.sampled_from(["patronflow.tracking.open", "patronflow.mail.verp", "ünïcode salt"])


@given(salt=salts, value=st.text())
def test_a_salted_hmac_is_djangos(salt, value):
    expected = django_crypto.salted_hmac(salt, value, algorithm="sha256").hexdigest()
    assert crypto.salted_hmac(salt, value).hexdigest() == expected


@given(salt=salts, value=st.text())
def test_a_signed_value_is_what_djangos_signer_makes_and_reads(salt, value):
    token = crypto.signed(salt, value)
    assert token == signing.Signer(salt=salt).sign(value)
    assert signing.Signer(salt=salt).unsign(token) == value


@given(salt=salts, token=st.text() | st.builds(lambda v: f"{v}:", st.text()))
def test_a_token_reads_as_djangos_signer_reads_it_forged_or_not(salt, token):
    for candidate in (token, signing.Signer(salt=salt).sign(token)):
        try:
            expected = signing.Signer(salt=salt).unsign(candidate)
        except signing.BadSignature:
            expected = None
        assert crypto.unsigned(salt, candidate) == expected


def test_a_token_signed_before_the_key_was_rotated_still_reads(settings):
    token = crypto.signed("patronflow.tracking.click", "1a.0")
    settings.SECRET_KEY_FALLBACKS = [settings.SECRET_KEY]
    settings.SECRET_KEY = "another secret key, rotated by the operator"
    assert crypto.unsigned("patronflow.tracking.click", token) == "1a.0"
    settings.SECRET_KEY_FALLBACKS = []
    assert crypto.unsigned("patronflow.tracking.click", token) is None


def test_a_new_secret_key_makes_other_signatures(settings):
    before = crypto.signed("patronflow.tracking.open", "1a")
    settings.SECRET_KEY = "another secret key, rotated by the operator"
    assert crypto.signed("patronflow.tracking.open", "1a") != before
    assert crypto.signed("patronflow.tracking.open", "1a") == signing.Signer(
        salt="patronflow.tracking.open"
    ).sign("1a")


@given(
    message_id=st.integers(min_value=1, max_value=2**62),
    link=st.none() | st.integers(min_value=0, max_value=500),
)
def test_a_mails_token_reads_back_for_its_own_purpose_only(message_id, link):
    token = make_token("click", message_id, link)
    assert read_token("click", token) == TokenData(message_id, link)
    assert read_token("open", token) is None
