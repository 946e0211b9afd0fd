/* dll_symbols.c — loads a DLL by path as Python's ctypes does on Windows
 * (LoadLibraryExW with the DLL's own folder searched for its dependencies) and
 * looks up each named symbol.  For the Krita zip test: every function the
 * binding declares must be exported by the libvar.dll inside the zip.
 * Usage: dll_symbols DLL NAME...   Prints "missing NAME" per absent symbol and
 * var_version()'s string; exit status 1 if the DLL does not load or any is missing. */
#include <stdio.h>
#include <windows.h>

int main(int argc, char **argv)
{
  wchar_t path[MAX_PATH];
  HMODULE h;
  int i, missing = 0;
  const char *(*version)(void);
  if (argc < 2 || !MultiByteToWideChar(CP_UTF8, 0, argv[1], -1, path, MAX_PATH)) {
    fprintf(stderr, "usage: dll_symbols DLL NAME...\n");
    return 2;
  }
  h = LoadLibraryExW(path, NULL, LOAD_LIBRARY_SEARCH_DLL_LOAD_DIR | LOAD_LIBRARY_SEARCH_DEFAULT_DIRS);
  if (!h) {
    printf("cannot load %s: Windows error %lu\n", argv[1], (unsigned long)GetLastError());
    return 1;
  }
  for (i = 2; i < argc; i++)
    if (!GetProcAddress(h, argv[i])) {
      printf("missing %s\n", argv[i]);
      missing++;
    }
  version = (const char *(*)(void))(void (*)(void))GetProcAddress(h, "var_version");
  if (version) printf("var_version %s\n", version());
  printf("%d of %d symbols found\n", argc - 2 - missing, argc - 2);
  FreeLibrary(h);
  return missing ? 1 : 0;
}
