/* cli.h — the `var` command's subcommands. */
#ifndef VAR_CLI_H
#define VAR_CLI_H

/* The default model folder as the help texts name it (var_default_model_dir()). */
#ifdef _WIN32
#define CLI_DEFAULT_MODEL_DIR "%LOCALAPPDATA%\\libvar\\models"
#else
#define CLI_DEFAULT_MODEL_DIR "~/.local/share/libvar/models"
#endif

int cmd_inspect(int argc, char **argv);
int cmd_generate(int argc, char **argv);
int cmd_inpaint(int argc, char **argv);
int cmd_outpaint(int argc, char **argv);
int cmd_edit(int argc, char **argv);
int cmd_classes(int argc, char **argv);
int cmd_verify(int argc, char **argv);
int cmd_convert(int argc, char **argv);

#endif
