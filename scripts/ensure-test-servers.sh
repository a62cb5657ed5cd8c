#!/usr/bin/env bash
# The SFTP tests start OpenSSH's own sshd on loopback. Install it when missing (as root, from
# Debian's packages); otherwise say how, and fail: the tests never skip.
set -euo pipefail
if [ -x /usr/sbin/sshd ]; then exit 0; fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "installing openssh-server for the SFTP tests"
  apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends openssh-server >/dev/null
  exit 0
fi
echo "The SFTP tests need OpenSSH's sshd: run 'sudo apt-get install openssh-server' and retry." >&2
exit 1
