# Package files of the vigil .deb, sourced by deploy/build-deb.sh (run from the repository's root): the units,
# the conffiles, copyright, changelog, lintian overrides, manual pages and maintainer scripts, each written
# into the package tree given as $1.

write_units() {  # the units as they are in deploy/systemd, pointing at /usr/bin and /usr/share/doc
    local unit
    for unit in deploy/systemd/*; do
        sed 's|/usr/local/bin/|/usr/bin/|g; s|/usr/local/share/doc/|/usr/share/doc/|g' "$unit" > "$1/lib/systemd/system/$(basename "$unit")"
        chmod 0644 "$1/lib/systemd/system/$(basename "$unit")"
    done
}

write_config() {  # /etc/vigil: the example config with the packaged spool, the example pool, vigil.env
    sed 's|^  dir: ../spool .*|  dir: /var/lib/vigil/spool|' examples/config.yaml > "$1/etc/vigil/config.yaml"
    chmod 0640 "$1/etc/vigil/config.yaml"
    cp -r examples/Interface-pool "$1/etc/vigil/Interface-pool"
    find "$1/etc/vigil/Interface-pool" -type d -exec chmod 0755 {} + -o -type f -exec chmod 0644 {} +
    printf '%s\n' "# Secrets for Vigil, read by the systemd units (EnvironmentFile=). Keep it 0600." \
        "# WECOM_WEBHOOK_URL=https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=..." \
        "# USER_API_PASSWORD=..." > "$1/etc/vigil/vigil.env"
    chmod 0600 "$1/etc/vigil/vigil.env"
}

write_docs() {  # write_docs ROOT DEBIAN_VERSION REVISION: docs, copyright, changelog.Debian.gz, overrides
    local doc="$1/usr/share/doc/vigil" file
    for file in docs/*.md; do install -m 0644 "$file" "$doc/$(basename "$file")"; done
    install -m 0644 README.md "$doc/README.md"
    local year
    year=$(git log --reverse --format=%ad --date=format:%Y 2>/dev/null | sed -n 1p)
    sed "s/@YEAR@/${year:-$(date +%Y)}/" > "$doc/copyright" <<'COPYRIGHT'
Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: vigil
Upstream-Contact: Vigil developers <vigil@example.com>
Comment: The binaries are linked statically with the Swift runtime and
 Foundation (with the ICU data Foundation carries) from the swift.org
 toolchain. libcurl is not included: it is loaded at run time from Debian's
 libcurl4.

Files: *
Copyright: @YEAR@ the Vigil developers
License: none-stated
 The Vigil sources do not state a license yet; until they do, their authors
 reserve all rights.

Files: usr/bin/*
Copyright: @YEAR@ the Vigil developers
 2014-2025 Apple Inc. and the Swift project authors (Swift runtime, Foundation)
 1991-2025 Unicode, Inc. and others (ICU)
License: none-stated and Apache-2.0 with Swift Runtime Library Exception and Unicode-DFS-2016

License: Apache-2.0 with Swift Runtime Library Exception
 On Debian systems, the full text of the Apache License, Version 2.0 is in
 /usr/share/common-licenses/Apache-2.0. Runtime Library Exception: as an
 exception, if you use this Software to compile your source code and portions
 of this Software are embedded into the binary product as a result, you may
 redistribute such product without providing attribution as would otherwise
 be required by Sections 4(a), 4(b) and 4(d) of the License.

License: Unicode-DFS-2016
 Permission is hereby granted, free of charge, to any person obtaining a copy
 of data files and any associated documentation (the "Data Files") or
 software and any associated documentation (the "Software") to deal in the
 Data Files or Software without restriction, including without limitation the
 rights to use, copy, modify, merge, publish, distribute, and/or sell copies of
 the Data Files or Software, and to permit persons to whom the Data Files or
 Software are furnished to do so, provided that either (a) this copyright and
 permission notice appear with all copies of the Data Files or Software, or
 (b) this copyright and permission notice appear in associated Documentation.
 .
 THE DATA FILES AND SOFTWARE ARE PROVIDED "AS IS", WITHOUT WARRANTY OF ANY
 KIND, EXPRESS OR IMPLIED.
COPYRIGHT
    chmod 0644 "$doc/copyright"
    # One entry per package version; the date is the packaged commit's (reproducible), not the build's.
    local date
    date=$(git log -1 --format=%aD "${3%-modified}" 2>/dev/null || git log -1 --format=%aD 2>/dev/null || date -R)
    {
        echo "vigil ($2) unstable; urgency=medium"
        echo
        echo "  * Release $2 built from git revision ${3:-(none given)}: static Swift runtime,"
        echo "    libcurl loaded at run time; see README.md and docs/operating-guide.md."
        echo
        echo " -- Vigil developers <vigil@example.com>  $date"
    } | gzip -9n > "$doc/changelog.Debian.gz"
    chmod 0644 "$doc/changelog.Debian.gz"
    install -d -m 0755 "$1/usr/share/lintian/overrides"
    # Each tag lintian reports that is not fixed is overridden here, with the reason (lintian prints it).
    cat > "$1/usr/share/lintian/overrides/vigil" <<'OVERRIDES'
# Built outside Debian's archive: there is no ITP bug to close.
vigil: initial-upload-closes-no-bugs
# Secrets (webhook keys, API passwords) live here: readable by root alone, systemd reads it as root.
vigil: non-standard-file-perm 0600 != 0644 [etc/vigil/vigil.env]
# May hold credentials inline; postinst gives it to group vigil, the services read it, nobody else.
vigil: non-standard-file-perm 0640 != 0644 [etc/vigil/config.yaml]
# The services need systemd's notify protocol and sandboxing; containers run the programs directly.
vigil: package-supports-alternative-init-but-no-init.d-script
# These words are in the statically linked ICU and Foundation data (locale names, error tables), not Vigil's text.
vigil: spelling-error-in-binary
# Swift code calls no fortifiable glibc function directly; the unfortified calls are in the static Swift runtime.
vigil: hardening-no-fortify-functions
OVERRIDES
    chmod 0644 "$1/usr/share/lintian/overrides/vigil"
}

write_manpages() {  # write_manpages ROOT VERSION REVISION: one page per program, from its own --help
    local p text
    for p in orchestrator prober analyzer notifier; do
        text=$("$1/usr/bin/vigil-$p" --help 2>&1 || true)
        {
            echo ".TH VIGIL-${p^^} 1 \"\" \"vigil $2\" \"Vigil\""
            echo ".SH NAME"
            echo "vigil-$p \\- the $p of Vigil, HTTP API monitoring"
            echo ".SH SYNOPSIS"
            echo ".nf"
            printf '%s\n' "$text" | sed 's/\\/\\e/g; s/^\([.'"'"']\)/\\\&\1/'
            echo ".fi"
            echo ".SH SEE ALSO"
            echo "/usr/share/doc/vigil/operating-guide.md, /usr/share/doc/vigil/configuration.md"
        } | gzip -9n > "$1/usr/share/man/man1/vigil-$p.1.gz"
        chmod 0644 "$1/usr/share/man/man1/vigil-$p.1.gz"
    done
}

write_maintainer_scripts() {  # postinst, prerm, postrm: the steps debhelper's systemd snippets take, by hand
    cat > "$1/DEBIAN/postinst" <<'SCRIPT'
#!/bin/sh
set -e
if [ "$1" = configure ]; then
    if ! getent passwd vigil >/dev/null; then
        adduser --system --group --home /var/lib/vigil --no-create-home --shell /usr/sbin/nologin vigil >/dev/null
    fi
    install -d -o vigil -g vigil -m 0710 /var/lib/vigil /var/lib/vigil/spool
    chgrp vigil /etc/vigil /etc/vigil/config.yaml
    chmod 0750 /etc/vigil
    if [ -d /run/systemd/system ]; then
        systemctl --system daemon-reload >/dev/null || true
    fi
    echo "vigil: put secrets in /etc/vigil/vigil.env, check with: sudo -u vigil vigil-orchestrator check --config /etc/vigil/config.yaml"
    echo "vigil: then: systemctl enable --now vigil-analyzer vigil-notifier vigil-orchestrator (vigil-web for the status site)"
fi
exit 0
SCRIPT
    cat > "$1/DEBIAN/prerm" <<'SCRIPT'
#!/bin/sh
set -e
if [ -d /run/systemd/system ] && { [ "$1" = remove ] || [ "$1" = purge ]; }; then
    deb-systemd-invoke stop vigil-orchestrator.service vigil-analyzer.service vigil-notifier.service vigil-web.service >/dev/null || true
fi
exit 0
SCRIPT
    cat > "$1/DEBIAN/postrm" <<'SCRIPT'
#!/bin/sh
set -e
if [ -d /run/systemd/system ]; then
    systemctl --system daemon-reload >/dev/null || true
fi
if [ "$1" = purge ]; then
    if command -v deb-systemd-helper >/dev/null; then
        deb-systemd-helper purge vigil-orchestrator.service vigil-analyzer.service vigil-notifier.service vigil-web.service >/dev/null || true
    fi
    # The spool holds the history and undelivered alerts: kept unless asked.
    if [ "${VIGIL_PURGE_SPOOL:-no}" = yes ]; then
        rm -rf /var/lib/vigil
    else
        echo "vigil: /var/lib/vigil kept (VIGIL_PURGE_SPOOL=yes removes it)"
    fi
    rm -rf /etc/vigil
    # The user goes with the spool it owns; a kept spool keeps its owner.
    if [ ! -d /var/lib/vigil ] && getent passwd vigil >/dev/null && command -v deluser >/dev/null; then
        deluser --system vigil >/dev/null 2>&1 || true
    fi
fi
exit 0
SCRIPT
    chmod 0755 "$1/DEBIAN/postinst" "$1/DEBIAN/prerm" "$1/DEBIAN/postrm"
}
