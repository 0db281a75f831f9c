import re
from pathlib import Path

from django.conf import settings

BASE_DIR = Path(settings.BASE_DIR)


def settings_variables() -> set[str]:
    source = (BASE_DIR / "koki" / "settings.py").read_text(encoding="utf-8")
    return set(re.findall(r'(?:os\.environ\.get|env_bool|env_list)\(\s*"([A-Z0-9_]+)"', source))


def test_every_environment_variable_is_in_env_example_and_readme():
    variables = settings_variables()
    env_example = (BASE_DIR / ".env.example").read_text(encoding="utf-8")
    readme = (BASE_DIR / "README.md").read_text(encoding="utf-8")

    assert {"KOKI_RATELIMIT_REGISTER", "KOKI_PRIVACY_CONTACT", "DJANGO_BEHIND_PROXY"} <= variables
    assert sorted(v for v in variables if not re.search(rf"^{v}=", env_example, re.M)) == []
    # The README names SMTP variables in one row with a common prefix (`_PORT`, `_USE_TLS`, …).
    missing = [
        v for v in variables if v not in readme and f"`_{v.split('_', 2)[-1]}`" not in readme
    ]
    assert sorted(missing) == []
