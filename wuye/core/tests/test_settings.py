import pytest
from django.core.exceptions import ImproperlyConfigured

from wuye.settings import envbool, envint, envsecret


def test_envbool_reads_the_usual_spellings(monkeypatch):
    monkeypatch.setenv("WUYE_X", "yes")
    assert envbool("WUYE_X", "false") is True
    monkeypatch.setenv("WUYE_X", "0")
    assert envbool("WUYE_X", "true") is False


def test_envbool_and_envint_refuse_nonsense(monkeypatch):
    monkeypatch.setenv("WUYE_X", "maybe")
    with pytest.raises(ImproperlyConfigured):
        envbool("WUYE_X", "false")
    with pytest.raises(ImproperlyConfigured):
        envint("WUYE_X", "1")


def test_a_missing_secret_is_generated_once_into_the_data_folder(tmp_path, monkeypatch):
    monkeypatch.delenv("WUYE_TEST_SECRET", raising=False)
    first = envsecret("WUYE_TEST_SECRET", tmp_path)
    assert len(first) > 40
    assert envsecret("WUYE_TEST_SECRET", tmp_path) == first
    monkeypatch.setenv("WUYE_TEST_SECRET", "from-env")
    assert envsecret("WUYE_TEST_SECRET", tmp_path) == "from-env"
