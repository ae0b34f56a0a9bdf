# What `cmake --install` adds to the binary, the units and the library (installed where they are
# built): man pages and bash completion, both generated from the built binary so they cannot
# drift from it, and the docs; then CPack's .deb (README "Install as a package", packaging/).
include(GNUInstallDirs)
# `cpack` (and `make install`) install what is built and do not build `all` first, which here
# would be every test: build the install targets (README "Install as a package") instead.
set(CMAKE_SKIP_INSTALL_ALL_DEPENDENCY ON)

# systemd units: Debian 12's packages ship them in /lib/systemd/system; a /usr/local install
# puts them in /usr/local/lib/systemd/system, which systemd reads too.
set(SPLITSECOND_UNITDIR "" CACHE PATH "where the systemd units go (default: from the prefix)")
if(SPLITSECOND_UNITDIR)
  set(SPLITSECOND_SYSTEMD_UNITDIR ${SPLITSECOND_UNITDIR})
elseif(CMAKE_INSTALL_PREFIX STREQUAL "/usr")
  set(SPLITSECOND_SYSTEMD_UNITDIR /lib/systemd/system)
else()
  set(SPLITSECOND_SYSTEMD_UNITDIR ${CMAKE_INSTALL_PREFIX}/lib/systemd/system)
endif()

# Man pages: Debian's help2man over the binary's own --help, one page per user-facing command,
# with packaging/man/<page>.h2m for NAME, DESCRIPTION and EXAMPLES (packaging/man/gen-man.sh).
option(SPLITSECOND_MAN "Generate and install the man pages (needs help2man)" ON)
if(SPLITSECOND_MAN)
  find_program(HELP2MAN help2man)
  if(NOT HELP2MAN)
    message(FATAL_ERROR "help2man not found: install it (scripts/deps.sh does) or configure "
                        "with -DSPLITSECOND_MAN=OFF")
  endif()
  set(man_dir ${PROJECT_BINARY_DIR}/man)
  file(GLOB man_includes CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/packaging/man/*.h2m)
  add_custom_command(
    OUTPUT ${man_dir}/stamp
    COMMAND ${PROJECT_SOURCE_DIR}/packaging/man/gen-man.sh $<TARGET_FILE:splitsecond> ${man_dir}
            ${PROJECT_SOURCE_DIR}/packaging/man ${PROJECT_VERSION}
    COMMAND ${CMAKE_COMMAND} -E touch ${man_dir}/stamp
    DEPENDS splitsecond ${PROJECT_SOURCE_DIR}/packaging/man/gen-man.sh ${man_includes}
    COMMENT "Generating the man pages from splitsecond --help (help2man)")
  add_custom_target(man ALL DEPENDS ${man_dir}/stamp)
  install(DIRECTORY ${man_dir}/ DESTINATION ${CMAKE_INSTALL_MANDIR}/man1
          FILES_MATCHING PATTERN "*.1.gz" PATTERN wrappers EXCLUDE)
endif()

# Bash completion: `splitsecond completion bash` writes it from the command tree.
set(completion ${PROJECT_BINARY_DIR}/completion/splitsecond)
add_custom_command(
  OUTPUT ${completion}
  COMMAND ${CMAKE_COMMAND} -E make_directory ${PROJECT_BINARY_DIR}/completion
  COMMAND $<TARGET_FILE:splitsecond> completion bash > ${completion}
  DEPENDS splitsecond
  COMMENT "Generating the bash completion from the command tree")
add_custom_target(bash_completion ALL DEPENDS ${completion})
install(FILES ${completion} DESTINATION ${CMAKE_INSTALL_DATADIR}/bash-completion/completions)
add_test(NAME package.bash_completion
         COMMAND bash ${PROJECT_SOURCE_DIR}/packaging/completion-test.sh $<TARGET_FILE:splitsecond>)
# Not "unit": it needs the built binary, which the sanitizer build (unit tests only) lacks.
set_tests_properties(package.bash_completion PROPERTIES LABELS integration)

# The docs the man pages and the units point to (/usr/share/doc/splitsecond).
install(FILES ${PROJECT_SOURCE_DIR}/README.md ${PROJECT_SOURCE_DIR}/ARCHITECTURE.md
        DESTINATION ${CMAKE_INSTALL_DOCDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/docs/ DESTINATION ${CMAKE_INSTALL_DOCDIR}
        FILES_MATCHING PATTERN "*.md" PATTERN "*.png" PATTERN "*.svg" PATTERN "*.json")

# The .deb: `cpack -G DEB` in a build configured with -DCMAKE_INSTALL_PREFIX=/usr
# (scripts/package-check.sh builds, installs, runs and removes it).
set(CPACK_PACKAGE_NAME splitsecond)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT "splitsecond maintainers <splitsecond@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
    "what happens in the split second after a VPN disconnects")
set(CPACK_PACKAGE_DESCRIPTION
    "splitsecond builds a lab of network namespaces, connects a real VPN, disconnects it and
records what the kernel, the resolver, the packets and each connection did. It also ships a
kill switch (nftables), a socket reaper and the libsplitsecond-path library.")
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGING_INSTALL_PREFIX ${CMAKE_INSTALL_PREFIX})
# The units live outside the prefix (/lib/systemd/system): DESTDIR staging keeps them in it.
set(CPACK_SET_DESTDIR ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)  # splitsecond_0.1.0_amd64.deb
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)  # the libraries, by dpkg-shlibdeps
# libsplitsecond-path.so.0: a shlibs file (the ldconfig trigger is packaging/deb/triggers).
set(CPACK_DEBIAN_PACKAGE_GENERATE_SHLIBS ON)
# The programs the lab runs (scripts/deps.sh's "real programs"); openresolv is not one of them:
# installing it hands the host's resolv.conf to it (docs/clients.md). wg-quick runs need it
# unpacked in /usr/local/lib/splitsecond/openresolv, which the lab's preflight says how to do.
set(CPACK_DEBIAN_PACKAGE_DEPENDS
    "iproute2, nftables, wireguard-go, wireguard-tools, openvpn, dnsmasq-base, dnsdist, openssh-server, openssh-client, mosh, udhcpc, iptables"
)
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA ${PROJECT_SOURCE_DIR}/packaging/deb/postinst
                                       ${PROJECT_SOURCE_DIR}/packaging/deb/prerm
                                       ${PROJECT_SOURCE_DIR}/packaging/deb/postrm
                                       ${PROJECT_SOURCE_DIR}/packaging/deb/triggers)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
include(CPack)
