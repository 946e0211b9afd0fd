/* classes.c — the ImageNet-1k class names. */
#include "internal.h"

/* TODO: not implemented yet. */

int var_imagenet_n_classes(void)
{

  return 0;
}

const char *var_imagenet_class_name(int index)
{
  (void)index;
  return NULL;
}

int var_imagenet_class_find(const char *name)
{
  (void)name;
  return -1;
}
