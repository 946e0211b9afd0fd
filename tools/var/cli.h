/* cli.h — the `var` command's subcommands. */
#ifndef VAR_CLI_H
#define VAR_CLI_H

int cmd_inspect(int argc, char **argv);
int cmd_generate(int argc, char **argv);
int cmd_inpaint(int argc, char **argv);
int cmd_outpaint(int argc, char **argv);
int cmd_edit(int argc, char **argv);
int cmd_classes(int argc, char **argv);
int cmd_convert(int argc, char **argv);

#endif
