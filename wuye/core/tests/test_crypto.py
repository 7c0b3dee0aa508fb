"""Personal data at rest (R-CUS-04): encryption, keyed hashes, and the key check that stops
start-up when the configured key is not the database's."""

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings

from wuye.core.checks import check_field_key, refuse_wrong_field_key
from wuye.core.crypto import KeyMismatch, blind_index, decrypt, encrypt, generate_key
from wuye.core.models import FieldKeyFingerprint
from wuye.settings import field_key


def test_r_cus_04_a_number_round_trips_and_never_encrypts_the_same_twice():
    first, second = encrypt("13812345678"), encrypt("13812345678")
    assert first != second
    assert "13812345678" not in first
    assert decrypt(first) == decrypt(second) == "13812345678"


def test_another_key_cannot_read_the_ciphertext_and_says_so():
    token = encrypt("110101199003071233")
    with override_settings(WUYE_FIELD_KEY=generate_key()), pytest.raises(KeyMismatch):
        decrypt(token)


def test_keyed_hashes_are_stable_under_one_key_and_differ_under_another():
    here = blind_index("phone", "13812345678")
    assert here == blind_index("phone", "13812345678")
    assert here != blind_index("document", "13812345678")
    with override_settings(WUYE_FIELD_KEY=generate_key()):
        assert blind_index("phone", "13812345678") != here


def test_the_check_passes_with_the_databases_key_and_stops_start_up_with_another(db):
    assert FieldKeyFingerprint.objects.count() == 1, "recorded when the database was migrated"
    assert check_field_key() == []
    with override_settings(WUYE_FIELD_KEY=generate_key()):
        errors = check_field_key()
        assert [e.id for e in errors] == ["core.E001"]
        with pytest.raises(ImproperlyConfigured):
            refuse_wrong_field_key()


@pytest.mark.parametrize("text", ["", "abc", "c2hvcnQ=", "!" * 44])
def test_a_malformed_key_is_refused_at_start_up(text):
    with pytest.raises(ImproperlyConfigured):
        field_key(text)
