#!/usr/bin/env bash
# The server tests start real protocol servers on loopback, as children of the test process:
# OpenSSH's sshd (SFTP) and Dovecot (IMAP and POP3). The editions' tests render PDF pages
# with pdftoppm (poppler-utils), Helvetica drawn by its metric twin Nimbus Sans
# (fonts-urw-base35) so the rendering is faithful. The UI's browser tests drive Debian's
# headless Chromium through its chromedriver (chromium, chromium-driver). Install what is
# missing (as root, from Debian's packages); otherwise say how, and fail: the tests never skip.
#
# Debian starts a package's service after installing it. The tests want no system sshd or
# dovecot running, so services are kept from starting for the time of the install (a
# temporary policy-rc.d, unless one is already there), and a dovecot started anyway is
# stopped. The tests' own servers use free ports and private folders, so a system service
# left running would not clash with them either.
set -euo pipefail

missing=()
[ -x /usr/sbin/sshd ] || missing+=(openssh-server)
[ -x /usr/sbin/dovecot ] && [ -x /usr/lib/dovecot/imap ] || missing+=(dovecot-imapd)
[ -x /usr/lib/dovecot/pop3 ] || missing+=(dovecot-pop3d)
command -v pdftoppm >/dev/null || missing+=(poppler-utils)
[ -d /usr/share/fonts/opentype/urw-base35 ] || missing+=(fonts-urw-base35)  # Helvetica's metrics
command -v chromium >/dev/null || missing+=(chromium)  # the UI's browser tests (selenium)
command -v chromedriver >/dev/null || missing+=(chromium-driver)
if [ ${#missing[@]} -eq 0 ]; then exit 0; fi

if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "installing ${missing[*]} for the tests"
  policy=/usr/sbin/policy-rc.d
  temporary_policy=""
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod 755 "$policy"
    temporary_policy=yes
  fi
  status=0
  apt-get update -qq >/dev/null &&
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      "${missing[@]}" >/dev/null || status=$?
  if [ -n "$temporary_policy" ]; then rm -f "$policy"; fi
  if [ -x /usr/sbin/dovecot ] && [ -e /run/dovecot/master.pid ]; then
    /usr/sbin/dovecot stop 2>/dev/null || true
  fi
  exit "$status"
fi
{
  echo "The tests need: ${missing[*]}."
  echo "Run 'sudo apt-get install ${missing[*]}' and retry."
} >&2
exit 1
