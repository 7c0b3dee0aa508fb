"""Fill empty msgstr entries of a .po file from a JSON dict {msgid: msgstr}; drop fuzzy flags.

Used while writing translations: `python scripts/fill_po.py path/django.po translations.json`.
Plural entries take a list of forms. Reports the msgids still untranslated.
"""

import json
import re
import sys
from pathlib import Path


def fill(po_path: str, table: dict) -> list[str]:
    text = Path(po_path).read_text(encoding="utf-8")
    text = text.replace("#, fuzzy\n", "").replace(", fuzzy", "")
    entries = text.split("\n\n")
    missing = []
    for i, entry in enumerate(entries):
        m = re.search(r'^msgid "(.*)"\n((?:".*"\n)*)(?:msgid_plural "(.*)"\n)?', entry, re.M)
        if not m:
            continue
        msgid = m.group(1) + "".join(re.findall(r'^"(.*)"$', m.group(2), re.M))
        if msgid == "":
            continue
        if msgid in table:
            value = table[msgid]
            if m.group(3) is not None:
                forms = value if isinstance(value, list) else [value]
                entry = re.sub(r'msgstr\[0\] ".*"', f'msgstr[0] "{forms[0]}"', entry)
            else:
                entry = re.sub(r'^msgstr ".*"(\n".*")*', f'msgstr "{value}"', entry, flags=re.M)
            entries[i] = entry
        elif re.search(r'^msgstr(\[0\])? ""\s*$', entry, re.M):
            missing.append(msgid)
    # Django's header placeholders confuse nobody but msgfmt; keep the charset right.
    out = "\n\n".join(entries).replace("charset=CHARSET", "charset=UTF-8")
    Path(po_path).write_text(out, encoding="utf-8")
    return missing


if __name__ == "__main__":
    missing = fill(sys.argv[1], json.loads(Path(sys.argv[2]).read_text(encoding="utf-8")))
    print("untranslated:", missing)
