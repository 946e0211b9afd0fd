/* gimp3-api.h — GIMP 3: images and items are GObjects owned by libgimp (NULL = none). */
typedef GimpImage    *ApiImage;
typedef GimpDrawable *ApiDrawable;
typedef GimpLayer    *ApiLayer;
#define API_NONE NULL

static inline gboolean api_image_valid (ApiImage i) { return gimp_image_is_valid (i); }
static inline gboolean api_is_layer (ApiDrawable d)
{ return d && gimp_item_is_valid (GIMP_ITEM (d)) && gimp_item_is_layer (GIMP_ITEM (d)); }
static inline gint api_image_width (ApiImage i) { return gimp_image_get_width (i); }
static inline gint api_image_height (ApiImage i) { return gimp_image_get_height (i); }
static inline gboolean api_image_is_gray (ApiImage i) { return gimp_image_get_base_type (i) == GIMP_GRAY; }
static inline gint api_width (ApiDrawable d) { return gimp_drawable_get_width (d); }
static inline gint api_height (ApiDrawable d) { return gimp_drawable_get_height (d); }
static inline void api_offsets (ApiDrawable d, gint *x, gint *y) { gimp_drawable_get_offsets (d, x, y); }
static inline GeglBuffer *api_buffer (ApiDrawable d) { return gimp_drawable_get_buffer (d); }
static inline GeglBuffer *api_selection_buffer (ApiImage i)
{ return gimp_drawable_get_buffer (GIMP_DRAWABLE (gimp_image_get_selection (i))); }
static inline gchar *api_name (ApiDrawable d) { return gimp_item_get_name (GIMP_ITEM (d)); }
static inline void api_update (ApiLayer l)
{ gimp_drawable_update (GIMP_DRAWABLE (l), 0, 0, api_width (GIMP_DRAWABLE (l)), api_height (GIMP_DRAWABLE (l))); }
static inline void api_set_visible (ApiLayer l, gboolean v) { gimp_item_set_visible (GIMP_ITEM (l), v); }
static inline void api_set_offsets (ApiLayer l, gint x, gint y) { gimp_layer_set_offsets (l, x, y); }
/* Where a layer directly above `above` goes (its group and position), or the top. */
static inline void
api_place_above (ApiImage i, ApiDrawable above, ApiLayer *parent, gint *position)
{
  *parent = above ? GIMP_LAYER (gimp_item_get_parent (GIMP_ITEM (above))) : NULL;
  *position = above ? gimp_image_get_item_position (i, GIMP_ITEM (above)) : 0;
}
static inline void
api_select_layer (ApiImage i, ApiLayer l)
{
  const GimpLayer *layers[2] = { l, NULL };
  gimp_image_set_selected_layers (i, layers);
}
