/* cli.h — the `var` command's subcommands. */
#ifndef VAR_CLI_H
#define VAR_CLI_H

int cmd_inspect(int argc, char **argv);

#endif
