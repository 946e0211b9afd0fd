/* imagenet_classes.c — the ImageNet-1k class names (ILSVRC-2012 order, the
 * labels the released VAR models were trained on), as data; the name lookup
 * is class_find.c's. */
#include "internal.h"

#include <stddef.h>

#define N_CLASSES 1000

/* {main name, all names}: the WordNet synonyms of each class, main name first. */
static const char *const class_names[N_CLASSES][2] = {
  { "tench", "tench, Tinca tinca" },  /* 0 */
  { "goldfish", "goldfish, Carassius auratus" },  /* 1 */
  { "great white shark",  /* 2 */
    "great white shark, white shark, man-eater, man-eating shark, Carcharodon carcharias" },
  { "tiger shark", "tiger shark, Galeocerdo cuvieri" },  /* 3 */
  { "hammerhead", "hammerhead, hammerhead shark" },  /* 4 */
  { "electric ray", "electric ray, crampfish, numbfish, torpedo" },  /* 5 */
  { "stingray", "stingray" },  /* 6 */
  { "cock", "cock" },  /* 7 */
  { "hen", "hen" },  /* 8 */
  { "ostrich", "ostrich, Struthio camelus" },  /* 9 */
  { "brambling", "brambling, Fringilla montifringilla" },  /* 10 */
  { "goldfinch", "goldfinch, Carduelis carduelis" },  /* 11 */
  { "house finch", "house finch, linnet, Carpodacus mexicanus" },  /* 12 */
  { "junco", "junco, snowbird" },  /* 13 */
  { "indigo bunting", "indigo bunting, indigo finch, indigo bird, Passerina cyanea" },  /* 14 */
  { "robin", "robin, American robin, Turdus migratorius" },  /* 15 */
  { "bulbul", "bulbul" },  /* 16 */
  { "jay", "jay" },  /* 17 */
  { "magpie", "magpie" },  /* 18 */
  { "chickadee", "chickadee" },  /* 19 */
  { "water ouzel", "water ouzel, dipper" },  /* 20 */
  { "kite", "kite" },  /* 21 */
  { "bald eagle", "bald eagle, American eagle, Haliaeetus leucocephalus" },  /* 22 */
  { "vulture", "vulture" },  /* 23 */
  { "great grey owl", "great grey owl, great gray owl, Strix nebulosa" },  /* 24 */
  { "European fire salamander", "European fire salamander, Salamandra salamandra" },  /* 25 */
  { "common newt", "common newt, Triturus vulgaris" },  /* 26 */
  { "eft", "eft" },  /* 27 */
  { "spotted salamander", "spotted salamander, Ambystoma maculatum" },  /* 28 */
  { "axolotl", "axolotl, mud puppy, Ambystoma mexicanum" },  /* 29 */
  { "bullfrog", "bullfrog, Rana catesbeiana" },  /* 30 */
  { "tree frog", "tree frog, tree-frog" },  /* 31 */
  { "tailed frog", "tailed frog, bell toad, ribbed toad, tailed toad, Ascaphus trui" },  /* 32 */
  { "loggerhead", "loggerhead, loggerhead turtle, Caretta caretta" },  /* 33 */
  { "leatherback turtle", "leatherback turtle, leatherback, leathery turtle, Dermochelys coriacea" },  /* 34 */
  { "mud turtle", "mud turtle" },  /* 35 */
  { "terrapin", "terrapin" },  /* 36 */
  { "box turtle", "box turtle, box tortoise" },  /* 37 */
  { "banded gecko", "banded gecko" },  /* 38 */
  { "common iguana", "common iguana, iguana, Iguana iguana" },  /* 39 */
  { "American chameleon", "American chameleon, anole, Anolis carolinensis" },  /* 40 */
  { "whiptail", "whiptail, whiptail lizard" },  /* 41 */
  { "agama", "agama" },  /* 42 */
  { "frilled lizard", "frilled lizard, Chlamydosaurus kingi" },  /* 43 */
  { "alligator lizard", "alligator lizard" },  /* 44 */
  { "Gila monster", "Gila monster, Heloderma suspectum" },  /* 45 */
  { "green lizard", "green lizard, Lacerta viridis" },  /* 46 */
  { "African chameleon", "African chameleon, Chamaeleo chamaeleon" },  /* 47 */
  { "Komodo dragon", "Komodo dragon, Komodo lizard, dragon lizard, giant lizard, Varanus komodoensis" },  /* 48 */
  { "African crocodile", "African crocodile, Nile crocodile, Crocodylus niloticus" },  /* 49 */
  { "American alligator", "American alligator, Alligator mississipiensis" },  /* 50 */
  { "triceratops", "triceratops" },  /* 51 */
  { "thunder snake", "thunder snake, worm snake, Carphophis amoenus" },  /* 52 */
  { "ringneck snake", "ringneck snake, ring-necked snake, ring snake" },  /* 53 */
  { "hognose snake", "hognose snake, puff adder, sand viper" },  /* 54 */
  { "green snake", "green snake, grass snake" },  /* 55 */
  { "king snake", "king snake, kingsnake" },  /* 56 */
  { "garter snake", "garter snake, grass snake" },  /* 57 */
  { "water snake", "water snake" },  /* 58 */
  { "vine snake", "vine snake" },  /* 59 */
  { "night snake", "night snake, Hypsiglena torquata" },  /* 60 */
  { "boa constrictor", "boa constrictor, Constrictor constrictor" },  /* 61 */
  { "rock python", "rock python, rock snake, Python sebae" },  /* 62 */
  { "Indian cobra", "Indian cobra, Naja naja" },  /* 63 */
  { "green mamba", "green mamba" },  /* 64 */
  { "sea snake", "sea snake" },  /* 65 */
  { "horned viper", "horned viper, cerastes, sand viper, horned asp, Cerastes cornutus" },  /* 66 */
  { "diamondback", "diamondback, diamondback rattlesnake, Crotalus adamanteus" },  /* 67 */
  { "sidewinder", "sidewinder, horned rattlesnake, Crotalus cerastes" },  /* 68 */
  { "trilobite", "trilobite" },  /* 69 */
  { "harvestman", "harvestman, daddy longlegs, Phalangium opilio" },  /* 70 */
  { "scorpion", "scorpion" },  /* 71 */
  { "black and gold garden spider", "black and gold garden spider, Argiope aurantia" },  /* 72 */
  { "barn spider", "barn spider, Araneus cavaticus" },  /* 73 */
  { "garden spider", "garden spider, Aranea diademata" },  /* 74 */
  { "black widow", "black widow, Latrodectus mactans" },  /* 75 */
  { "tarantula", "tarantula" },  /* 76 */
  { "wolf spider", "wolf spider, hunting spider" },  /* 77 */
  { "tick", "tick" },  /* 78 */
  { "centipede", "centipede" },  /* 79 */
  { "black grouse", "black grouse" },  /* 80 */
  { "ptarmigan", "ptarmigan" },  /* 81 */
  { "ruffed grouse", "ruffed grouse, partridge, Bonasa umbellus" },  /* 82 */
  { "prairie chicken", "prairie chicken, prairie grouse, prairie fowl" },  /* 83 */
  { "peacock", "peacock" },  /* 84 */
  { "quail", "quail" },  /* 85 */
  { "partridge", "partridge" },  /* 86 */
  { "African grey", "African grey, African gray, Psittacus erithacus" },  /* 87 */
  { "macaw", "macaw" },  /* 88 */
  { "sulphur-crested cockatoo", "sulphur-crested cockatoo, Kakatoe galerita, Cacatua galerita" },  /* 89 */
  { "lorikeet", "lorikeet" },  /* 90 */
  { "coucal", "coucal" },  /* 91 */
  { "bee eater", "bee eater" },  /* 92 */
  { "hornbill", "hornbill" },  /* 93 */
  { "hummingbird", "hummingbird" },  /* 94 */
  { "jacamar", "jacamar" },  /* 95 */
  { "toucan", "toucan" },  /* 96 */
  { "drake", "drake" },  /* 97 */
  { "red-breasted merganser", "red-breasted merganser, Mergus serrator" },  /* 98 */
  { "goose", "goose" },  /* 99 */
  { "black swan", "black swan, Cygnus atratus" },  /* 100 */
  { "tusker", "tusker" },  /* 101 */
  { "echidna", "echidna, spiny anteater, anteater" },  /* 102 */
  { "platypus", "platypus, duckbill, duckbilled platypus, duck-billed platypus, Ornithorhynchus anatinus" },  /* 103 */
  { "wallaby", "wallaby, brush kangaroo" },  /* 104 */
  { "koala", "koala, koala bear, kangaroo bear, native bear, Phascolarctos cinereus" },  /* 105 */
  { "wombat", "wombat" },  /* 106 */
  { "jellyfish", "jellyfish" },  /* 107 */
  { "sea anemone", "sea anemone, anemone" },  /* 108 */
  { "brain coral", "brain coral" },  /* 109 */
  { "flatworm", "flatworm, platyhelminth" },  /* 110 */
  { "nematode", "nematode, nematode worm, roundworm" },  /* 111 */
  { "conch", "conch" },  /* 112 */
  { "snail", "snail" },  /* 113 */
  { "slug", "slug" },  /* 114 */
  { "sea slug", "sea slug, nudibranch" },  /* 115 */
  { "chiton", "chiton, coat-of-mail shell, sea cradle, polyplacophore" },  /* 116 */
  { "chambered nautilus", "chambered nautilus, pearly nautilus, nautilus" },  /* 117 */
  { "Dungeness crab", "Dungeness crab, Cancer magister" },  /* 118 */
  { "rock crab", "rock crab, Cancer irroratus" },  /* 119 */
  { "fiddler crab", "fiddler crab" },  /* 120 */
  { "king crab", "king crab, Alaska crab, Alaskan king crab, Alaska king crab, Paralithodes camtschatica" },  /* 121 */
  { "American lobster", "American lobster, Northern lobster, Maine lobster, Homarus americanus" },  /* 122 */
  { "spiny lobster", "spiny lobster, langouste, rock lobster, crawfish, crayfish, sea crawfish" },  /* 123 */
  { "crayfish", "crayfish, crawfish, crawdad, crawdaddy" },  /* 124 */
  { "hermit crab", "hermit crab" },  /* 125 */
  { "isopod", "isopod" },  /* 126 */
  { "white stork", "white stork, Ciconia ciconia" },  /* 127 */
  { "black stork", "black stork, Ciconia nigra" },  /* 128 */
  { "spoonbill", "spoonbill" },  /* 129 */
  { "flamingo", "flamingo" },  /* 130 */
  { "little blue heron", "little blue heron, Egretta caerulea" },  /* 131 */
  { "American egret", "American egret, great white heron, Egretta albus" },  /* 132 */
  { "bittern", "bittern" },  /* 133 */
  { "crane", "crane" },  /* 134 */
  { "limpkin", "limpkin, Aramus pictus" },  /* 135 */
  { "European gallinule", "European gallinule, Porphyrio porphyrio" },  /* 136 */
  { "American coot", "American coot, marsh hen, mud hen, water hen, Fulica americana" },  /* 137 */
  { "bustard", "bustard" },  /* 138 */
  { "ruddy turnstone", "ruddy turnstone, Arenaria interpres" },  /* 139 */
  { "red-backed sandpiper", "red-backed sandpiper, dunlin, Erolia alpina" },  /* 140 */
  { "redshank", "redshank, Tringa totanus" },  /* 141 */
  { "dowitcher", "dowitcher" },  /* 142 */
  { "oystercatcher", "oystercatcher, oyster catcher" },  /* 143 */
  { "pelican", "pelican" },  /* 144 */
  { "king penguin", "king penguin, Aptenodytes patagonica" },  /* 145 */
  { "albatross", "albatross, mollymawk" },  /* 146 */
  { "grey whale", "grey whale, gray whale, devilfish, Eschrichtius gibbosus, Eschrichtius robustus" },  /* 147 */
  { "killer whale", "killer whale, killer, orca, grampus, sea wolf, Orcinus orca" },  /* 148 */
  { "dugong", "dugong, Dugong dugon" },  /* 149 */
  { "sea lion", "sea lion" },  /* 150 */
  { "Chihuahua", "Chihuahua" },  /* 151 */
  { "Japanese spaniel", "Japanese spaniel" },  /* 152 */
  { "Maltese dog", "Maltese dog, Maltese terrier, Maltese" },  /* 153 */
  { "Pekinese", "Pekinese, Pekingese, Peke" },  /* 154 */
  { "Shih-Tzu", "Shih-Tzu" },  /* 155 */
  { "Blenheim spaniel", "Blenheim spaniel" },  /* 156 */
  { "papillon", "papillon" },  /* 157 */
  { "toy terrier", "toy terrier" },  /* 158 */
  { "Rhodesian ridgeback", "Rhodesian ridgeback" },  /* 159 */
  { "Afghan hound", "Afghan hound, Afghan" },  /* 160 */
  { "basset", "basset, basset hound" },  /* 161 */
  { "beagle", "beagle" },  /* 162 */
  { "bloodhound", "bloodhound, sleuthhound" },  /* 163 */
  { "bluetick", "bluetick" },  /* 164 */
  { "black-and-tan coonhound", "black-and-tan coonhound" },  /* 165 */
  { "Walker hound", "Walker hound, Walker foxhound" },  /* 166 */
  { "English foxhound", "English foxhound" },  /* 167 */
  { "redbone", "redbone" },  /* 168 */
  { "borzoi", "borzoi, Russian wolfhound" },  /* 169 */
  { "Irish wolfhound", "Irish wolfhound" },  /* 170 */
  { "Italian greyhound", "Italian greyhound" },  /* 171 */
  { "whippet", "whippet" },  /* 172 */
  { "Ibizan hound", "Ibizan hound, Ibizan Podenco" },  /* 173 */
  { "Norwegian elkhound", "Norwegian elkhound, elkhound" },  /* 174 */
  { "otterhound", "otterhound, otter hound" },  /* 175 */
  { "Saluki", "Saluki, gazelle hound" },  /* 176 */
  { "Scottish deerhound", "Scottish deerhound, deerhound" },  /* 177 */
  { "Weimaraner", "Weimaraner" },  /* 178 */
  { "Staffordshire bullterrier", "Staffordshire bullterrier, Staffordshire bull terrier" },  /* 179 */
  { "American Staffordshire terrier",  /* 180 */
    "American Staffordshire terrier, Staffordshire terrier, American pit bull terrier, pit bull terrier" },
  { "Bedlington terrier", "Bedlington terrier" },  /* 181 */
  { "Border terrier", "Border terrier" },  /* 182 */
  { "Kerry blue terrier", "Kerry blue terrier" },  /* 183 */
  { "Irish terrier", "Irish terrier" },  /* 184 */
  { "Norfolk terrier", "Norfolk terrier" },  /* 185 */
  { "Norwich terrier", "Norwich terrier" },  /* 186 */
  { "Yorkshire terrier", "Yorkshire terrier" },  /* 187 */
  { "wire-haired fox terrier", "wire-haired fox terrier" },  /* 188 */
  { "Lakeland terrier", "Lakeland terrier" },  /* 189 */
  { "Sealyham terrier", "Sealyham terrier, Sealyham" },  /* 190 */
  { "Airedale", "Airedale, Airedale terrier" },  /* 191 */
  { "cairn", "cairn, cairn terrier" },  /* 192 */
  { "Australian terrier", "Australian terrier" },  /* 193 */
  { "Dandie Dinmont", "Dandie Dinmont, Dandie Dinmont terrier" },  /* 194 */
  { "Boston bull", "Boston bull, Boston terrier" },  /* 195 */
  { "miniature schnauzer", "miniature schnauzer" },  /* 196 */
  { "giant schnauzer", "giant schnauzer" },  /* 197 */
  { "standard schnauzer", "standard schnauzer" },  /* 198 */
  { "Scotch terrier", "Scotch terrier, Scottish terrier, Scottie" },  /* 199 */
  { "Tibetan terrier", "Tibetan terrier, chrysanthemum dog" },  /* 200 */
  { "silky terrier", "silky terrier, Sydney silky" },  /* 201 */
  { "soft-coated wheaten terrier", "soft-coated wheaten terrier" },  /* 202 */
  { "West Highland white terrier", "West Highland white terrier" },  /* 203 */
  { "Lhasa", "Lhasa, Lhasa apso" },  /* 204 */
  { "flat-coated retriever", "flat-coated retriever" },  /* 205 */
  { "curly-coated retriever", "curly-coated retriever" },  /* 206 */
  { "golden retriever", "golden retriever" },  /* 207 */
  { "Labrador retriever", "Labrador retriever" },  /* 208 */
  { "Chesapeake Bay retriever", "Chesapeake Bay retriever" },  /* 209 */
  { "German short-haired pointer", "German short-haired pointer" },  /* 210 */
  { "vizsla", "vizsla, Hungarian pointer" },  /* 211 */
  { "English setter", "English setter" },  /* 212 */
  { "Irish setter", "Irish setter, red setter" },  /* 213 */
  { "Gordon setter", "Gordon setter" },  /* 214 */
  { "Brittany spaniel", "Brittany spaniel" },  /* 215 */
  { "clumber", "clumber, clumber spaniel" },  /* 216 */
  { "English springer", "English springer, English springer spaniel" },  /* 217 */
  { "Welsh springer spaniel", "Welsh springer spaniel" },  /* 218 */
  { "cocker spaniel", "cocker spaniel, English cocker spaniel, cocker" },  /* 219 */
  { "Sussex spaniel", "Sussex spaniel" },  /* 220 */
  { "Irish water spaniel", "Irish water spaniel" },  /* 221 */
  { "kuvasz", "kuvasz" },  /* 222 */
  { "schipperke", "schipperke" },  /* 223 */
  { "groenendael", "groenendael" },  /* 224 */
  { "malinois", "malinois" },  /* 225 */
  { "briard", "briard" },  /* 226 */
  { "kelpie", "kelpie" },  /* 227 */
  { "komondor", "komondor" },  /* 228 */
  { "Old English sheepdog", "Old English sheepdog, bobtail" },  /* 229 */
  { "Shetland sheepdog", "Shetland sheepdog, Shetland sheep dog, Shetland" },  /* 230 */
  { "collie", "collie" },  /* 231 */
  { "Border collie", "Border collie" },  /* 232 */
  { "Bouvier des Flandres", "Bouvier des Flandres, Bouviers des Flandres" },  /* 233 */
  { "Rottweiler", "Rottweiler" },  /* 234 */
  { "German shepherd", "German shepherd, German shepherd dog, German police dog, alsatian" },  /* 235 */
  { "Doberman", "Doberman, Doberman pinscher" },  /* 236 */
  { "miniature pinscher", "miniature pinscher" },  /* 237 */
  { "Greater Swiss Mountain dog", "Greater Swiss Mountain dog" },  /* 238 */
  { "Bernese mountain dog", "Bernese mountain dog" },  /* 239 */
  { "Appenzeller", "Appenzeller" },  /* 240 */
  { "EntleBucher", "EntleBucher" },  /* 241 */
  { "boxer", "boxer" },  /* 242 */
  { "bull mastiff", "bull mastiff" },  /* 243 */
  { "Tibetan mastiff", "Tibetan mastiff" },  /* 244 */
  { "French bulldog", "French bulldog" },  /* 245 */
  { "Great Dane", "Great Dane" },  /* 246 */
  { "Saint Bernard", "Saint Bernard, St Bernard" },  /* 247 */
  { "Eskimo dog", "Eskimo dog, husky" },  /* 248 */
  { "malamute", "malamute, malemute, Alaskan malamute" },  /* 249 */
  { "Siberian husky", "Siberian husky" },  /* 250 */
  { "dalmatian", "dalmatian, coach dog, carriage dog" },  /* 251 */
  { "affenpinscher", "affenpinscher, monkey pinscher, monkey dog" },  /* 252 */
  { "basenji", "basenji" },  /* 253 */
  { "pug", "pug, pug-dog" },  /* 254 */
  { "Leonberg", "Leonberg" },  /* 255 */
  { "Newfoundland", "Newfoundland, Newfoundland dog" },  /* 256 */
  { "Great Pyrenees", "Great Pyrenees" },  /* 257 */
  { "Samoyed", "Samoyed, Samoyede" },  /* 258 */
  { "Pomeranian", "Pomeranian" },  /* 259 */
  { "chow", "chow, chow chow" },  /* 260 */
  { "keeshond", "keeshond" },  /* 261 */
  { "Brabancon griffon", "Brabancon griffon" },  /* 262 */
  { "Pembroke", "Pembroke, Pembroke Welsh corgi" },  /* 263 */
  { "Cardigan", "Cardigan, Cardigan Welsh corgi" },  /* 264 */
  { "toy poodle", "toy poodle" },  /* 265 */
  { "miniature poodle", "miniature poodle" },  /* 266 */
  { "standard poodle", "standard poodle" },  /* 267 */
  { "Mexican hairless", "Mexican hairless" },  /* 268 */
  { "timber wolf", "timber wolf, grey wolf, gray wolf, Canis lupus" },  /* 269 */
  { "white wolf", "white wolf, Arctic wolf, Canis lupus tundrarum" },  /* 270 */
  { "red wolf", "red wolf, maned wolf, Canis rufus, Canis niger" },  /* 271 */
  { "coyote", "coyote, prairie wolf, brush wolf, Canis latrans" },  /* 272 */
  { "dingo", "dingo, warrigal, warragal, Canis dingo" },  /* 273 */
  { "dhole", "dhole, Cuon alpinus" },  /* 274 */
  { "African hunting dog", "African hunting dog, hyena dog, Cape hunting dog, Lycaon pictus" },  /* 275 */
  { "hyena", "hyena, hyaena" },  /* 276 */
  { "red fox", "red fox, Vulpes vulpes" },  /* 277 */
  { "kit fox", "kit fox, Vulpes macrotis" },  /* 278 */
  { "Arctic fox", "Arctic fox, white fox, Alopex lagopus" },  /* 279 */
  { "grey fox", "grey fox, gray fox, Urocyon cinereoargenteus" },  /* 280 */
  { "tabby", "tabby, tabby cat" },  /* 281 */
  { "tiger cat", "tiger cat" },  /* 282 */
  { "Persian cat", "Persian cat" },  /* 283 */
  { "Siamese cat", "Siamese cat, Siamese" },  /* 284 */
  { "Egyptian cat", "Egyptian cat" },  /* 285 */
  { "cougar", "cougar, puma, catamount, mountain lion, painter, panther, Felis concolor" },  /* 286 */
  { "lynx", "lynx, catamount" },  /* 287 */
  { "leopard", "leopard, Panthera pardus" },  /* 288 */
  { "snow leopard", "snow leopard, ounce, Panthera uncia" },  /* 289 */
  { "jaguar", "jaguar, panther, Panthera onca, Felis onca" },  /* 290 */
  { "lion", "lion, king of beasts, Panthera leo" },  /* 291 */
  { "tiger", "tiger, Panthera tigris" },  /* 292 */
  { "cheetah", "cheetah, chetah, Acinonyx jubatus" },  /* 293 */
  { "brown bear", "brown bear, bruin, Ursus arctos" },  /* 294 */
  { "American black bear", "American black bear, black bear, Ursus americanus, Euarctos americanus" },  /* 295 */
  { "ice bear", "ice bear, polar bear, Ursus Maritimus, Thalarctos maritimus" },  /* 296 */
  { "sloth bear", "sloth bear, Melursus ursinus, Ursus ursinus" },  /* 297 */
  { "mongoose", "mongoose" },  /* 298 */
  { "meerkat", "meerkat, mierkat" },  /* 299 */
  { "tiger beetle", "tiger beetle" },  /* 300 */
  { "ladybug", "ladybug, ladybeetle, lady beetle, ladybird, ladybird beetle" },  /* 301 */
  { "ground beetle", "ground beetle, carabid beetle" },  /* 302 */
  { "long-horned beetle", "long-horned beetle, longicorn, longicorn beetle" },  /* 303 */
  { "leaf beetle", "leaf beetle, chrysomelid" },  /* 304 */
  { "dung beetle", "dung beetle" },  /* 305 */
  { "rhinoceros beetle", "rhinoceros beetle" },  /* 306 */
  { "weevil", "weevil" },  /* 307 */
  { "fly", "fly" },  /* 308 */
  { "bee", "bee" },  /* 309 */
  { "ant", "ant, emmet, pismire" },  /* 310 */
  { "grasshopper", "grasshopper, hopper" },  /* 311 */
  { "cricket", "cricket" },  /* 312 */
  { "walking stick", "walking stick, walkingstick, stick insect" },  /* 313 */
  { "cockroach", "cockroach, roach" },  /* 314 */
  { "mantis", "mantis, mantid" },  /* 315 */
  { "cicada", "cicada, cicala" },  /* 316 */
  { "leafhopper", "leafhopper" },  /* 317 */
  { "lacewing", "lacewing, lacewing fly" },  /* 318 */
  { "dragonfly",  /* 319 */
    "dragonfly, darning needle, devil's darning needle, sewing needle, snake feeder, snake doctor, "
    "mosquito hawk, skeeter hawk" },
  { "damselfly", "damselfly" },  /* 320 */
  { "admiral", "admiral" },  /* 321 */
  { "ringlet", "ringlet, ringlet butterfly" },  /* 322 */
  { "monarch", "monarch, monarch butterfly, milkweed butterfly, Danaus plexippus" },  /* 323 */
  { "cabbage butterfly", "cabbage butterfly" },  /* 324 */
  { "sulphur butterfly", "sulphur butterfly, sulfur butterfly" },  /* 325 */
  { "lycaenid", "lycaenid, lycaenid butterfly" },  /* 326 */
  { "starfish", "starfish, sea star" },  /* 327 */
  { "sea urchin", "sea urchin" },  /* 328 */
  { "sea cucumber", "sea cucumber, holothurian" },  /* 329 */
  { "wood rabbit", "wood rabbit, cottontail, cottontail rabbit" },  /* 330 */
  { "hare", "hare" },  /* 331 */
  { "Angora", "Angora, Angora rabbit" },  /* 332 */
  { "hamster", "hamster" },  /* 333 */
  { "porcupine", "porcupine, hedgehog" },  /* 334 */
  { "fox squirrel", "fox squirrel, eastern fox squirrel, Sciurus niger" },  /* 335 */
  { "marmot", "marmot" },  /* 336 */
  { "beaver", "beaver" },  /* 337 */
  { "guinea pig", "guinea pig, Cavia cobaya" },  /* 338 */
  { "sorrel", "sorrel" },  /* 339 */
  { "zebra", "zebra" },  /* 340 */
  { "hog", "hog, pig, grunter, squealer, Sus scrofa" },  /* 341 */
  { "wild boar", "wild boar, boar, Sus scrofa" },  /* 342 */
  { "warthog", "warthog" },  /* 343 */
  { "hippopotamus", "hippopotamus, hippo, river horse, Hippopotamus amphibius" },  /* 344 */
  { "ox", "ox" },  /* 345 */
  { "water buffalo", "water buffalo, water ox, Asiatic buffalo, Bubalus bubalis" },  /* 346 */
  { "bison", "bison" },  /* 347 */
  { "ram", "ram, tup" },  /* 348 */
  { "bighorn",  /* 349 */
    "bighorn, bighorn sheep, cimarron, Rocky Mountain bighorn, Rocky Mountain sheep, Ovis canadensis" },
  { "ibex", "ibex, Capra ibex" },  /* 350 */
  { "hartebeest", "hartebeest" },  /* 351 */
  { "impala", "impala, Aepyceros melampus" },  /* 352 */
  { "gazelle", "gazelle" },  /* 353 */
  { "Arabian camel", "Arabian camel, dromedary, Camelus dromedarius" },  /* 354 */
  { "llama", "llama" },  /* 355 */
  { "weasel", "weasel" },  /* 356 */
  { "mink", "mink" },  /* 357 */
  { "polecat", "polecat, fitch, foulmart, foumart, Mustela putorius" },  /* 358 */
  { "black-footed ferret", "black-footed ferret, ferret, Mustela nigripes" },  /* 359 */
  { "otter", "otter" },  /* 360 */
  { "skunk", "skunk, polecat, wood pussy" },  /* 361 */
  { "badger", "badger" },  /* 362 */
  { "armadillo", "armadillo" },  /* 363 */
  { "three-toed sloth", "three-toed sloth, ai, Bradypus tridactylus" },  /* 364 */
  { "orangutan", "orangutan, orang, orangutang, Pongo pygmaeus" },  /* 365 */
  { "gorilla", "gorilla, Gorilla gorilla" },  /* 366 */
  { "chimpanzee", "chimpanzee, chimp, Pan troglodytes" },  /* 367 */
  { "gibbon", "gibbon, Hylobates lar" },  /* 368 */
  { "siamang", "siamang, Hylobates syndactylus, Symphalangus syndactylus" },  /* 369 */
  { "guenon", "guenon, guenon monkey" },  /* 370 */
  { "patas", "patas, hussar monkey, Erythrocebus patas" },  /* 371 */
  { "baboon", "baboon" },  /* 372 */
  { "macaque", "macaque" },  /* 373 */
  { "langur", "langur" },  /* 374 */
  { "colobus", "colobus, colobus monkey" },  /* 375 */
  { "proboscis monkey", "proboscis monkey, Nasalis larvatus" },  /* 376 */
  { "marmoset", "marmoset" },  /* 377 */
  { "capuchin", "capuchin, ringtail, Cebus capucinus" },  /* 378 */
  { "howler monkey", "howler monkey, howler" },  /* 379 */
  { "titi", "titi, titi monkey" },  /* 380 */
  { "spider monkey", "spider monkey, Ateles geoffroyi" },  /* 381 */
  { "squirrel monkey", "squirrel monkey, Saimiri sciureus" },  /* 382 */
  { "Madagascar cat", "Madagascar cat, ring-tailed lemur, Lemur catta" },  /* 383 */
  { "indri", "indri, indris, Indri indri, Indri brevicaudatus" },  /* 384 */
  { "Indian elephant", "Indian elephant, Elephas maximus" },  /* 385 */
  { "African elephant", "African elephant, Loxodonta africana" },  /* 386 */
  { "lesser panda", "lesser panda, red panda, panda, bear cat, cat bear, Ailurus fulgens" },  /* 387 */
  { "giant panda", "giant panda, panda, panda bear, coon bear, Ailuropoda melanoleuca" },  /* 388 */
  { "barracouta", "barracouta, snoek" },  /* 389 */
  { "eel", "eel" },  /* 390 */
  { "coho", "coho, cohoe, coho salmon, blue jack, silver salmon, Oncorhynchus kisutch" },  /* 391 */
  { "rock beauty", "rock beauty, Holocanthus tricolor" },  /* 392 */
  { "anemone fish", "anemone fish" },  /* 393 */
  { "sturgeon", "sturgeon" },  /* 394 */
  { "gar", "gar, garfish, garpike, billfish, Lepisosteus osseus" },  /* 395 */
  { "lionfish", "lionfish" },  /* 396 */
  { "puffer", "puffer, pufferfish, blowfish, globefish" },  /* 397 */
  { "abacus", "abacus" },  /* 398 */
  { "abaya", "abaya" },  /* 399 */
  { "academic gown", "academic gown, academic robe, judge's robe" },  /* 400 */
  { "accordion", "accordion, piano accordion, squeeze box" },  /* 401 */
  { "acoustic guitar", "acoustic guitar" },  /* 402 */
  { "aircraft carrier", "aircraft carrier, carrier, flattop, attack aircraft carrier" },  /* 403 */
  { "airliner", "airliner" },  /* 404 */
  { "airship", "airship, dirigible" },  /* 405 */
  { "altar", "altar" },  /* 406 */
  { "ambulance", "ambulance" },  /* 407 */
  { "amphibian", "amphibian, amphibious vehicle" },  /* 408 */
  { "analog clock", "analog clock" },  /* 409 */
  { "apiary", "apiary, bee house" },  /* 410 */
  { "apron", "apron" },  /* 411 */
  { "ashcan",  /* 412 */
    "ashcan, trash can, garbage can, wastebin, ash bin, ash-bin, ashbin, dustbin, trash barrel, trash bin" },
  { "assault rifle", "assault rifle, assault gun" },  /* 413 */
  { "backpack", "backpack, back pack, knapsack, packsack, rucksack, haversack" },  /* 414 */
  { "bakery", "bakery, bakeshop, bakehouse" },  /* 415 */
  { "balance beam", "balance beam, beam" },  /* 416 */
  { "balloon", "balloon" },  /* 417 */
  { "ballpoint", "ballpoint, ballpoint pen, ballpen, Biro" },  /* 418 */
  { "Band Aid", "Band Aid" },  /* 419 */
  { "banjo", "banjo" },  /* 420 */
  { "bannister", "bannister, banister, balustrade, balusters, handrail" },  /* 421 */
  { "barbell", "barbell" },  /* 422 */
  { "barber chair", "barber chair" },  /* 423 */
  { "barbershop", "barbershop" },  /* 424 */
  { "barn", "barn" },  /* 425 */
  { "barometer", "barometer" },  /* 426 */
  { "barrel", "barrel, cask" },  /* 427 */
  { "barrow", "barrow, garden cart, lawn cart, wheelbarrow" },  /* 428 */
  { "baseball", "baseball" },  /* 429 */
  { "basketball", "basketball" },  /* 430 */
  { "bassinet", "bassinet" },  /* 431 */
  { "bassoon", "bassoon" },  /* 432 */
  { "bathing cap", "bathing cap, swimming cap" },  /* 433 */
  { "bath towel", "bath towel" },  /* 434 */
  { "bathtub", "bathtub, bathing tub, bath, tub" },  /* 435 */
  { "beach wagon", "beach wagon, station wagon, wagon, estate car, beach waggon, station waggon, waggon" },  /* 436 */
  { "beacon", "beacon, lighthouse, beacon light, pharos" },  /* 437 */
  { "beaker", "beaker" },  /* 438 */
  { "bearskin", "bearskin, busby, shako" },  /* 439 */
  { "beer bottle", "beer bottle" },  /* 440 */
  { "beer glass", "beer glass" },  /* 441 */
  { "bell cote", "bell cote, bell cot" },  /* 442 */
  { "bib", "bib" },  /* 443 */
  { "bicycle-built-for-two", "bicycle-built-for-two, tandem bicycle, tandem" },  /* 444 */
  { "bikini", "bikini, two-piece" },  /* 445 */
  { "binder", "binder, ring-binder" },  /* 446 */
  { "binoculars", "binoculars, field glasses, opera glasses" },  /* 447 */
  { "birdhouse", "birdhouse" },  /* 448 */
  { "boathouse", "boathouse" },  /* 449 */
  { "bobsled", "bobsled, bobsleigh, bob" },  /* 450 */
  { "bolo tie", "bolo tie, bolo, bola tie, bola" },  /* 451 */
  { "bonnet", "bonnet, poke bonnet" },  /* 452 */
  { "bookcase", "bookcase" },  /* 453 */
  { "bookshop", "bookshop, bookstore, bookstall" },  /* 454 */
  { "bottlecap", "bottlecap" },  /* 455 */
  { "bow", "bow" },  /* 456 */
  { "bow tie", "bow tie, bow-tie, bowtie" },  /* 457 */
  { "brass", "brass, memorial tablet, plaque" },  /* 458 */
  { "brassiere", "brassiere, bra, bandeau" },  /* 459 */
  { "breakwater", "breakwater, groin, groyne, mole, bulwark, seawall, jetty" },  /* 460 */
  { "breastplate", "breastplate, aegis, egis" },  /* 461 */
  { "broom", "broom" },  /* 462 */
  { "bucket", "bucket, pail" },  /* 463 */
  { "buckle", "buckle" },  /* 464 */
  { "bulletproof vest", "bulletproof vest" },  /* 465 */
  { "bullet train", "bullet train, bullet" },  /* 466 */
  { "butcher shop", "butcher shop, meat market" },  /* 467 */
  { "cab", "cab, hack, taxi, taxicab" },  /* 468 */
  { "caldron", "caldron, cauldron" },  /* 469 */
  { "candle", "candle, taper, wax light" },  /* 470 */
  { "cannon", "cannon" },  /* 471 */
  { "canoe", "canoe" },  /* 472 */
  { "can opener", "can opener, tin opener" },  /* 473 */
  { "cardigan", "cardigan" },  /* 474 */
  { "car mirror", "car mirror" },  /* 475 */
  { "carousel", "carousel, carrousel, merry-go-round, roundabout, whirligig" },  /* 476 */
  { "carpenter's kit", "carpenter's kit, tool kit" },  /* 477 */
  { "carton", "carton" },  /* 478 */
  { "car wheel", "car wheel" },  /* 479 */
  { "cash machine",  /* 480 */
    "cash machine, cash dispenser, automated teller machine, automatic teller machine, automated teller, "
    "automatic teller, ATM" },
  { "cassette", "cassette" },  /* 481 */
  { "cassette player", "cassette player" },  /* 482 */
  { "castle", "castle" },  /* 483 */
  { "catamaran", "catamaran" },  /* 484 */
  { "CD player", "CD player" },  /* 485 */
  { "cello", "cello, violoncello" },  /* 486 */
  { "cellular telephone", "cellular telephone, cellular phone, cellphone, cell, mobile phone" },  /* 487 */
  { "chain", "chain" },  /* 488 */
  { "chainlink fence", "chainlink fence" },  /* 489 */
  { "chain mail", "chain mail, ring mail, mail, chain armor, chain armour, ring armor, ring armour" },  /* 490 */
  { "chain saw", "chain saw, chainsaw" },  /* 491 */
  { "chest", "chest" },  /* 492 */
  { "chiffonier", "chiffonier, commode" },  /* 493 */
  { "chime", "chime, bell, gong" },  /* 494 */
  { "china cabinet", "china cabinet, china closet" },  /* 495 */
  { "Christmas stocking", "Christmas stocking" },  /* 496 */
  { "church", "church, church building" },  /* 497 */
  { "cinema", "cinema, movie theater, movie theatre, movie house, picture palace" },  /* 498 */
  { "cleaver", "cleaver, meat cleaver, chopper" },  /* 499 */
  { "cliff dwelling", "cliff dwelling" },  /* 500 */
  { "cloak", "cloak" },  /* 501 */
  { "clog", "clog, geta, patten, sabot" },  /* 502 */
  { "cocktail shaker", "cocktail shaker" },  /* 503 */
  { "coffee mug", "coffee mug" },  /* 504 */
  { "coffeepot", "coffeepot" },  /* 505 */
  { "coil", "coil, spiral, volute, whorl, helix" },  /* 506 */
  { "combination lock", "combination lock" },  /* 507 */
  { "computer keyboard", "computer keyboard, keypad" },  /* 508 */
  { "confectionery", "confectionery, confectionary, candy store" },  /* 509 */
  { "container ship", "container ship, containership, container vessel" },  /* 510 */
  { "convertible", "convertible" },  /* 511 */
  { "corkscrew", "corkscrew, bottle screw" },  /* 512 */
  { "cornet", "cornet, horn, trumpet, trump" },  /* 513 */
  { "cowboy boot", "cowboy boot" },  /* 514 */
  { "cowboy hat", "cowboy hat, ten-gallon hat" },  /* 515 */
  { "cradle", "cradle" },  /* 516 */
  { "crane", "crane" },  /* 517 */
  { "crash helmet", "crash helmet" },  /* 518 */
  { "crate", "crate" },  /* 519 */
  { "crib", "crib, cot" },  /* 520 */
  { "Crock Pot", "Crock Pot" },  /* 521 */
  { "croquet ball", "croquet ball" },  /* 522 */
  { "crutch", "crutch" },  /* 523 */
  { "cuirass", "cuirass" },  /* 524 */
  { "dam", "dam, dike, dyke" },  /* 525 */
  { "desk", "desk" },  /* 526 */
  { "desktop computer", "desktop computer" },  /* 527 */
  { "dial telephone", "dial telephone, dial phone" },  /* 528 */
  { "diaper", "diaper, nappy, napkin" },  /* 529 */
  { "digital clock", "digital clock" },  /* 530 */
  { "digital watch", "digital watch" },  /* 531 */
  { "dining table", "dining table, board" },  /* 532 */
  { "dishrag", "dishrag, dishcloth" },  /* 533 */
  { "dishwasher", "dishwasher, dish washer, dishwashing machine" },  /* 534 */
  { "disk brake", "disk brake, disc brake" },  /* 535 */
  { "dock", "dock, dockage, docking facility" },  /* 536 */
  { "dogsled", "dogsled, dog sled, dog sleigh" },  /* 537 */
  { "dome", "dome" },  /* 538 */
  { "doormat", "doormat, welcome mat" },  /* 539 */
  { "drilling platform", "drilling platform, offshore rig" },  /* 540 */
  { "drum", "drum, membranophone, tympan" },  /* 541 */
  { "drumstick", "drumstick" },  /* 542 */
  { "dumbbell", "dumbbell" },  /* 543 */
  { "Dutch oven", "Dutch oven" },  /* 544 */
  { "electric fan", "electric fan, blower" },  /* 545 */
  { "electric guitar", "electric guitar" },  /* 546 */
  { "electric locomotive", "electric locomotive" },  /* 547 */
  { "entertainment center", "entertainment center" },  /* 548 */
  { "envelope", "envelope" },  /* 549 */
  { "espresso maker", "espresso maker" },  /* 550 */
  { "face powder", "face powder" },  /* 551 */
  { "feather boa", "feather boa, boa" },  /* 552 */
  { "file", "file, file cabinet, filing cabinet" },  /* 553 */
  { "fireboat", "fireboat" },  /* 554 */
  { "fire engine", "fire engine, fire truck" },  /* 555 */
  { "fire screen", "fire screen, fireguard" },  /* 556 */
  { "flagpole", "flagpole, flagstaff" },  /* 557 */
  { "flute", "flute, transverse flute" },  /* 558 */
  { "folding chair", "folding chair" },  /* 559 */
  { "football helmet", "football helmet" },  /* 560 */
  { "forklift", "forklift" },  /* 561 */
  { "fountain", "fountain" },  /* 562 */
  { "fountain pen", "fountain pen" },  /* 563 */
  { "four-poster", "four-poster" },  /* 564 */
  { "freight car", "freight car" },  /* 565 */
  { "French horn", "French horn, horn" },  /* 566 */
  { "frying pan", "frying pan, frypan, skillet" },  /* 567 */
  { "fur coat", "fur coat" },  /* 568 */
  { "garbage truck", "garbage truck, dustcart" },  /* 569 */
  { "gasmask", "gasmask, respirator, gas helmet" },  /* 570 */
  { "gas pump", "gas pump, gasoline pump, petrol pump, island dispenser" },  /* 571 */
  { "goblet", "goblet" },  /* 572 */
  { "go-kart", "go-kart" },  /* 573 */
  { "golf ball", "golf ball" },  /* 574 */
  { "golfcart", "golfcart, golf cart" },  /* 575 */
  { "gondola", "gondola" },  /* 576 */
  { "gong", "gong, tam-tam" },  /* 577 */
  { "gown", "gown" },  /* 578 */
  { "grand piano", "grand piano, grand" },  /* 579 */
  { "greenhouse", "greenhouse, nursery, glasshouse" },  /* 580 */
  { "grille", "grille, radiator grille" },  /* 581 */
  { "grocery store", "grocery store, grocery, food market, market" },  /* 582 */
  { "guillotine", "guillotine" },  /* 583 */
  { "hair slide", "hair slide" },  /* 584 */
  { "hair spray", "hair spray" },  /* 585 */
  { "half track", "half track" },  /* 586 */
  { "hammer", "hammer" },  /* 587 */
  { "hamper", "hamper" },  /* 588 */
  { "hand blower", "hand blower, blow dryer, blow drier, hair dryer, hair drier" },  /* 589 */
  { "hand-held computer", "hand-held computer, hand-held microcomputer" },  /* 590 */
  { "handkerchief", "handkerchief, hankie, hanky, hankey" },  /* 591 */
  { "hard disc", "hard disc, hard disk, fixed disk" },  /* 592 */
  { "harmonica", "harmonica, mouth organ, harp, mouth harp" },  /* 593 */
  { "harp", "harp" },  /* 594 */
  { "harvester", "harvester, reaper" },  /* 595 */
  { "hatchet", "hatchet" },  /* 596 */
  { "holster", "holster" },  /* 597 */
  { "home theater", "home theater, home theatre" },  /* 598 */
  { "honeycomb", "honeycomb" },  /* 599 */
  { "hook", "hook, claw" },  /* 600 */
  { "hoopskirt", "hoopskirt, crinoline" },  /* 601 */
  { "horizontal bar", "horizontal bar, high bar" },  /* 602 */
  { "horse cart", "horse cart, horse-cart" },  /* 603 */
  { "hourglass", "hourglass" },  /* 604 */
  { "iPod", "iPod" },  /* 605 */
  { "iron", "iron, smoothing iron" },  /* 606 */
  { "jack-o'-lantern", "jack-o'-lantern" },  /* 607 */
  { "jean", "jean, blue jean, denim" },  /* 608 */
  { "jeep", "jeep, landrover" },  /* 609 */
  { "jersey", "jersey, T-shirt, tee shirt" },  /* 610 */
  { "jigsaw puzzle", "jigsaw puzzle" },  /* 611 */
  { "jinrikisha", "jinrikisha, ricksha, rickshaw" },  /* 612 */
  { "joystick", "joystick" },  /* 613 */
  { "kimono", "kimono" },  /* 614 */
  { "knee pad", "knee pad" },  /* 615 */
  { "knot", "knot" },  /* 616 */
  { "lab coat", "lab coat, laboratory coat" },  /* 617 */
  { "ladle", "ladle" },  /* 618 */
  { "lampshade", "lampshade, lamp shade" },  /* 619 */
  { "laptop", "laptop, laptop computer" },  /* 620 */
  { "lawn mower", "lawn mower, mower" },  /* 621 */
  { "lens cap", "lens cap, lens cover" },  /* 622 */
  { "letter opener", "letter opener, paper knife, paperknife" },  /* 623 */
  { "library", "library" },  /* 624 */
  { "lifeboat", "lifeboat" },  /* 625 */
  { "lighter", "lighter, light, igniter, ignitor" },  /* 626 */
  { "limousine", "limousine, limo" },  /* 627 */
  { "liner", "liner, ocean liner" },  /* 628 */
  { "lipstick", "lipstick, lip rouge" },  /* 629 */
  { "Loafer", "Loafer" },  /* 630 */
  { "lotion", "lotion" },  /* 631 */
  { "loudspeaker", "loudspeaker, speaker, speaker unit, loudspeaker system, speaker system" },  /* 632 */
  { "loupe", "loupe, jeweler's loupe" },  /* 633 */
  { "lumbermill", "lumbermill, sawmill" },  /* 634 */
  { "magnetic compass", "magnetic compass" },  /* 635 */
  { "mailbag", "mailbag, postbag" },  /* 636 */
  { "mailbox", "mailbox, letter box" },  /* 637 */
  { "maillot", "maillot" },  /* 638 */
  { "maillot", "maillot, tank suit" },  /* 639 */
  { "manhole cover", "manhole cover" },  /* 640 */
  { "maraca", "maraca" },  /* 641 */
  { "marimba", "marimba, xylophone" },  /* 642 */
  { "mask", "mask" },  /* 643 */
  { "matchstick", "matchstick" },  /* 644 */
  { "maypole", "maypole" },  /* 645 */
  { "maze", "maze, labyrinth" },  /* 646 */
  { "measuring cup", "measuring cup" },  /* 647 */
  { "medicine chest", "medicine chest, medicine cabinet" },  /* 648 */
  { "megalith", "megalith, megalithic structure" },  /* 649 */
  { "microphone", "microphone, mike" },  /* 650 */
  { "microwave", "microwave, microwave oven" },  /* 651 */
  { "military uniform", "military uniform" },  /* 652 */
  { "milk can", "milk can" },  /* 653 */
  { "minibus", "minibus" },  /* 654 */
  { "miniskirt", "miniskirt, mini" },  /* 655 */
  { "minivan", "minivan" },  /* 656 */
  { "missile", "missile" },  /* 657 */
  { "mitten", "mitten" },  /* 658 */
  { "mixing bowl", "mixing bowl" },  /* 659 */
  { "mobile home", "mobile home, manufactured home" },  /* 660 */
  { "Model T", "Model T" },  /* 661 */
  { "modem", "modem" },  /* 662 */
  { "monastery", "monastery" },  /* 663 */
  { "monitor", "monitor" },  /* 664 */
  { "moped", "moped" },  /* 665 */
  { "mortar", "mortar" },  /* 666 */
  { "mortarboard", "mortarboard" },  /* 667 */
  { "mosque", "mosque" },  /* 668 */
  { "mosquito net", "mosquito net" },  /* 669 */
  { "motor scooter", "motor scooter, scooter" },  /* 670 */
  { "mountain bike", "mountain bike, all-terrain bike, off-roader" },  /* 671 */
  { "mountain tent", "mountain tent" },  /* 672 */
  { "mouse", "mouse, computer mouse" },  /* 673 */
  { "mousetrap", "mousetrap" },  /* 674 */
  { "moving van", "moving van" },  /* 675 */
  { "muzzle", "muzzle" },  /* 676 */
  { "nail", "nail" },  /* 677 */
  { "neck brace", "neck brace" },  /* 678 */
  { "necklace", "necklace" },  /* 679 */
  { "nipple", "nipple" },  /* 680 */
  { "notebook", "notebook, notebook computer" },  /* 681 */
  { "obelisk", "obelisk" },  /* 682 */
  { "oboe", "oboe, hautboy, hautbois" },  /* 683 */
  { "ocarina", "ocarina, sweet potato" },  /* 684 */
  { "odometer", "odometer, hodometer, mileometer, milometer" },  /* 685 */
  { "oil filter", "oil filter" },  /* 686 */
  { "organ", "organ, pipe organ" },  /* 687 */
  { "oscilloscope", "oscilloscope, scope, cathode-ray oscilloscope, CRO" },  /* 688 */
  { "overskirt", "overskirt" },  /* 689 */
  { "oxcart", "oxcart" },  /* 690 */
  { "oxygen mask", "oxygen mask" },  /* 691 */
  { "packet", "packet" },  /* 692 */
  { "paddle", "paddle, boat paddle" },  /* 693 */
  { "paddlewheel", "paddlewheel, paddle wheel" },  /* 694 */
  { "padlock", "padlock" },  /* 695 */
  { "paintbrush", "paintbrush" },  /* 696 */
  { "pajama", "pajama, pyjama, pj's, jammies" },  /* 697 */
  { "palace", "palace" },  /* 698 */
  { "panpipe", "panpipe, pandean pipe, syrinx" },  /* 699 */
  { "paper towel", "paper towel" },  /* 700 */
  { "parachute", "parachute, chute" },  /* 701 */
  { "parallel bars", "parallel bars, bars" },  /* 702 */
  { "park bench", "park bench" },  /* 703 */
  { "parking meter", "parking meter" },  /* 704 */
  { "passenger car", "passenger car, coach, carriage" },  /* 705 */
  { "patio", "patio, terrace" },  /* 706 */
  { "pay-phone", "pay-phone, pay-station" },  /* 707 */
  { "pedestal", "pedestal, plinth, footstall" },  /* 708 */
  { "pencil box", "pencil box, pencil case" },  /* 709 */
  { "pencil sharpener", "pencil sharpener" },  /* 710 */
  { "perfume", "perfume, essence" },  /* 711 */
  { "Petri dish", "Petri dish" },  /* 712 */
  { "photocopier", "photocopier" },  /* 713 */
  { "pick", "pick, plectrum, plectron" },  /* 714 */
  { "pickelhaube", "pickelhaube" },  /* 715 */
  { "picket fence", "picket fence, paling" },  /* 716 */
  { "pickup", "pickup, pickup truck" },  /* 717 */
  { "pier", "pier" },  /* 718 */
  { "piggy bank", "piggy bank, penny bank" },  /* 719 */
  { "pill bottle", "pill bottle" },  /* 720 */
  { "pillow", "pillow" },  /* 721 */
  { "ping-pong ball", "ping-pong ball" },  /* 722 */
  { "pinwheel", "pinwheel" },  /* 723 */
  { "pirate", "pirate, pirate ship" },  /* 724 */
  { "pitcher", "pitcher, ewer" },  /* 725 */
  { "plane", "plane, carpenter's plane, woodworking plane" },  /* 726 */
  { "planetarium", "planetarium" },  /* 727 */
  { "plastic bag", "plastic bag" },  /* 728 */
  { "plate rack", "plate rack" },  /* 729 */
  { "plow", "plow, plough" },  /* 730 */
  { "plunger", "plunger, plumber's helper" },  /* 731 */
  { "Polaroid camera", "Polaroid camera, Polaroid Land camera" },  /* 732 */
  { "pole", "pole" },  /* 733 */
  { "police van", "police van, police wagon, paddy wagon, patrol wagon, wagon, black Maria" },  /* 734 */
  { "poncho", "poncho" },  /* 735 */
  { "pool table", "pool table, billiard table, snooker table" },  /* 736 */
  { "pop bottle", "pop bottle, soda bottle" },  /* 737 */
  { "pot", "pot, flowerpot" },  /* 738 */
  { "potter's wheel", "potter's wheel" },  /* 739 */
  { "power drill", "power drill" },  /* 740 */
  { "prayer rug", "prayer rug, prayer mat" },  /* 741 */
  { "printer", "printer" },  /* 742 */
  { "prison", "prison, prison house" },  /* 743 */
  { "projectile", "projectile, missile" },  /* 744 */
  { "projector", "projector" },  /* 745 */
  { "puck", "puck, hockey puck" },  /* 746 */
  { "punching bag", "punching bag, punch bag, punching ball, punchball" },  /* 747 */
  { "purse", "purse" },  /* 748 */
  { "quill", "quill, quill pen" },  /* 749 */
  { "quilt", "quilt, comforter, comfort, puff" },  /* 750 */
  { "racer", "racer, race car, racing car" },  /* 751 */
  { "racket", "racket, racquet" },  /* 752 */
  { "radiator", "radiator" },  /* 753 */
  { "radio", "radio, wireless" },  /* 754 */
  { "radio telescope", "radio telescope, radio reflector" },  /* 755 */
  { "rain barrel", "rain barrel" },  /* 756 */
  { "recreational vehicle", "recreational vehicle, RV, R.V." },  /* 757 */
  { "reel", "reel" },  /* 758 */
  { "reflex camera", "reflex camera" },  /* 759 */
  { "refrigerator", "refrigerator, icebox" },  /* 760 */
  { "remote control", "remote control, remote" },  /* 761 */
  { "restaurant", "restaurant, eating house, eating place, eatery" },  /* 762 */
  { "revolver", "revolver, six-gun, six-shooter" },  /* 763 */
  { "rifle", "rifle" },  /* 764 */
  { "rocking chair", "rocking chair, rocker" },  /* 765 */
  { "rotisserie", "rotisserie" },  /* 766 */
  { "rubber eraser", "rubber eraser, rubber, pencil eraser" },  /* 767 */
  { "rugby ball", "rugby ball" },  /* 768 */
  { "rule", "rule, ruler" },  /* 769 */
  { "running shoe", "running shoe" },  /* 770 */
  { "safe", "safe" },  /* 771 */
  { "safety pin", "safety pin" },  /* 772 */
  { "saltshaker", "saltshaker, salt shaker" },  /* 773 */
  { "sandal", "sandal" },  /* 774 */
  { "sarong", "sarong" },  /* 775 */
  { "sax", "sax, saxophone" },  /* 776 */
  { "scabbard", "scabbard" },  /* 777 */
  { "scale", "scale, weighing machine" },  /* 778 */
  { "school bus", "school bus" },  /* 779 */
  { "schooner", "schooner" },  /* 780 */
  { "scoreboard", "scoreboard" },  /* 781 */
  { "screen", "screen, CRT screen" },  /* 782 */
  { "screw", "screw" },  /* 783 */
  { "screwdriver", "screwdriver" },  /* 784 */
  { "seat belt", "seat belt, seatbelt" },  /* 785 */
  { "sewing machine", "sewing machine" },  /* 786 */
  { "shield", "shield, buckler" },  /* 787 */
  { "shoe shop", "shoe shop, shoe-shop, shoe store" },  /* 788 */
  { "shoji", "shoji" },  /* 789 */
  { "shopping basket", "shopping basket" },  /* 790 */
  { "shopping cart", "shopping cart" },  /* 791 */
  { "shovel", "shovel" },  /* 792 */
  { "shower cap", "shower cap" },  /* 793 */
  { "shower curtain", "shower curtain" },  /* 794 */
  { "ski", "ski" },  /* 795 */
  { "ski mask", "ski mask" },  /* 796 */
  { "sleeping bag", "sleeping bag" },  /* 797 */
  { "slide rule", "slide rule, slipstick" },  /* 798 */
  { "sliding door", "sliding door" },  /* 799 */
  { "slot", "slot, one-armed bandit" },  /* 800 */
  { "snorkel", "snorkel" },  /* 801 */
  { "snowmobile", "snowmobile" },  /* 802 */
  { "snowplow", "snowplow, snowplough" },  /* 803 */
  { "soap dispenser", "soap dispenser" },  /* 804 */
  { "soccer ball", "soccer ball" },  /* 805 */
  { "sock", "sock" },  /* 806 */
  { "solar dish", "solar dish, solar collector, solar furnace" },  /* 807 */
  { "sombrero", "sombrero" },  /* 808 */
  { "soup bowl", "soup bowl" },  /* 809 */
  { "space bar", "space bar" },  /* 810 */
  { "space heater", "space heater" },  /* 811 */
  { "space shuttle", "space shuttle" },  /* 812 */
  { "spatula", "spatula" },  /* 813 */
  { "speedboat", "speedboat" },  /* 814 */
  { "spider web", "spider web, spider's web" },  /* 815 */
  { "spindle", "spindle" },  /* 816 */
  { "sports car", "sports car, sport car" },  /* 817 */
  { "spotlight", "spotlight, spot" },  /* 818 */
  { "stage", "stage" },  /* 819 */
  { "steam locomotive", "steam locomotive" },  /* 820 */
  { "steel arch bridge", "steel arch bridge" },  /* 821 */
  { "steel drum", "steel drum" },  /* 822 */
  { "stethoscope", "stethoscope" },  /* 823 */
  { "stole", "stole" },  /* 824 */
  { "stone wall", "stone wall" },  /* 825 */
  { "stopwatch", "stopwatch, stop watch" },  /* 826 */
  { "stove", "stove" },  /* 827 */
  { "strainer", "strainer" },  /* 828 */
  { "streetcar", "streetcar, tram, tramcar, trolley, trolley car" },  /* 829 */
  { "stretcher", "stretcher" },  /* 830 */
  { "studio couch", "studio couch, day bed" },  /* 831 */
  { "stupa", "stupa, tope" },  /* 832 */
  { "submarine", "submarine, pigboat, sub, U-boat" },  /* 833 */
  { "suit", "suit, suit of clothes" },  /* 834 */
  { "sundial", "sundial" },  /* 835 */
  { "sunglass", "sunglass" },  /* 836 */
  { "sunglasses", "sunglasses, dark glasses, shades" },  /* 837 */
  { "sunscreen", "sunscreen, sunblock, sun blocker" },  /* 838 */
  { "suspension bridge", "suspension bridge" },  /* 839 */
  { "swab", "swab, swob, mop" },  /* 840 */
  { "sweatshirt", "sweatshirt" },  /* 841 */
  { "swimming trunks", "swimming trunks, bathing trunks" },  /* 842 */
  { "swing", "swing" },  /* 843 */
  { "switch", "switch, electric switch, electrical switch" },  /* 844 */
  { "syringe", "syringe" },  /* 845 */
  { "table lamp", "table lamp" },  /* 846 */
  { "tank", "tank, army tank, armored combat vehicle, armoured combat vehicle" },  /* 847 */
  { "tape player", "tape player" },  /* 848 */
  { "teapot", "teapot" },  /* 849 */
  { "teddy", "teddy, teddy bear" },  /* 850 */
  { "television", "television, television system" },  /* 851 */
  { "tennis ball", "tennis ball" },  /* 852 */
  { "thatch", "thatch, thatched roof" },  /* 853 */
  { "theater curtain", "theater curtain, theatre curtain" },  /* 854 */
  { "thimble", "thimble" },  /* 855 */
  { "thresher", "thresher, thrasher, threshing machine" },  /* 856 */
  { "throne", "throne" },  /* 857 */
  { "tile roof", "tile roof" },  /* 858 */
  { "toaster", "toaster" },  /* 859 */
  { "tobacco shop", "tobacco shop, tobacconist shop, tobacconist" },  /* 860 */
  { "toilet seat", "toilet seat" },  /* 861 */
  { "torch", "torch" },  /* 862 */
  { "totem pole", "totem pole" },  /* 863 */
  { "tow truck", "tow truck, tow car, wrecker" },  /* 864 */
  { "toyshop", "toyshop" },  /* 865 */
  { "tractor", "tractor" },  /* 866 */
  { "trailer truck", "trailer truck, tractor trailer, trucking rig, rig, articulated lorry, semi" },  /* 867 */
  { "tray", "tray" },  /* 868 */
  { "trench coat", "trench coat" },  /* 869 */
  { "tricycle", "tricycle, trike, velocipede" },  /* 870 */
  { "trimaran", "trimaran" },  /* 871 */
  { "tripod", "tripod" },  /* 872 */
  { "triumphal arch", "triumphal arch" },  /* 873 */
  { "trolleybus", "trolleybus, trolley coach, trackless trolley" },  /* 874 */
  { "trombone", "trombone" },  /* 875 */
  { "tub", "tub, vat" },  /* 876 */
  { "turnstile", "turnstile" },  /* 877 */
  { "typewriter keyboard", "typewriter keyboard" },  /* 878 */
  { "umbrella", "umbrella" },  /* 879 */
  { "unicycle", "unicycle, monocycle" },  /* 880 */
  { "upright", "upright, upright piano" },  /* 881 */
  { "vacuum", "vacuum, vacuum cleaner" },  /* 882 */
  { "vase", "vase" },  /* 883 */
  { "vault", "vault" },  /* 884 */
  { "velvet", "velvet" },  /* 885 */
  { "vending machine", "vending machine" },  /* 886 */
  { "vestment", "vestment" },  /* 887 */
  { "viaduct", "viaduct" },  /* 888 */
  { "violin", "violin, fiddle" },  /* 889 */
  { "volleyball", "volleyball" },  /* 890 */
  { "waffle iron", "waffle iron" },  /* 891 */
  { "wall clock", "wall clock" },  /* 892 */
  { "wallet", "wallet, billfold, notecase, pocketbook" },  /* 893 */
  { "wardrobe", "wardrobe, closet, press" },  /* 894 */
  { "warplane", "warplane, military plane" },  /* 895 */
  { "washbasin", "washbasin, handbasin, washbowl, lavabo, wash-hand basin" },  /* 896 */
  { "washer", "washer, automatic washer, washing machine" },  /* 897 */
  { "water bottle", "water bottle" },  /* 898 */
  { "water jug", "water jug" },  /* 899 */
  { "water tower", "water tower" },  /* 900 */
  { "whiskey jug", "whiskey jug" },  /* 901 */
  { "whistle", "whistle" },  /* 902 */
  { "wig", "wig" },  /* 903 */
  { "window screen", "window screen" },  /* 904 */
  { "window shade", "window shade" },  /* 905 */
  { "Windsor tie", "Windsor tie" },  /* 906 */
  { "wine bottle", "wine bottle" },  /* 907 */
  { "wing", "wing" },  /* 908 */
  { "wok", "wok" },  /* 909 */
  { "wooden spoon", "wooden spoon" },  /* 910 */
  { "wool", "wool, woolen, woollen" },  /* 911 */
  { "worm fence", "worm fence, snake fence, snake-rail fence, Virginia fence" },  /* 912 */
  { "wreck", "wreck" },  /* 913 */
  { "yawl", "yawl" },  /* 914 */
  { "yurt", "yurt" },  /* 915 */
  { "web site", "web site, website, internet site, site" },  /* 916 */
  { "comic book", "comic book" },  /* 917 */
  { "crossword puzzle", "crossword puzzle, crossword" },  /* 918 */
  { "street sign", "street sign" },  /* 919 */
  { "traffic light", "traffic light, traffic signal, stoplight" },  /* 920 */
  { "book jacket", "book jacket, dust cover, dust jacket, dust wrapper" },  /* 921 */
  { "menu", "menu" },  /* 922 */
  { "plate", "plate" },  /* 923 */
  { "guacamole", "guacamole" },  /* 924 */
  { "consomme", "consomme" },  /* 925 */
  { "hot pot", "hot pot, hotpot" },  /* 926 */
  { "trifle", "trifle" },  /* 927 */
  { "ice cream", "ice cream, icecream" },  /* 928 */
  { "ice lolly", "ice lolly, lolly, lollipop, popsicle" },  /* 929 */
  { "French loaf", "French loaf" },  /* 930 */
  { "bagel", "bagel, beigel" },  /* 931 */
  { "pretzel", "pretzel" },  /* 932 */
  { "cheeseburger", "cheeseburger" },  /* 933 */
  { "hotdog", "hotdog, hot dog, red hot" },  /* 934 */
  { "mashed potato", "mashed potato" },  /* 935 */
  { "head cabbage", "head cabbage" },  /* 936 */
  { "broccoli", "broccoli" },  /* 937 */
  { "cauliflower", "cauliflower" },  /* 938 */
  { "zucchini", "zucchini, courgette" },  /* 939 */
  { "spaghetti squash", "spaghetti squash" },  /* 940 */
  { "acorn squash", "acorn squash" },  /* 941 */
  { "butternut squash", "butternut squash" },  /* 942 */
  { "cucumber", "cucumber, cuke" },  /* 943 */
  { "artichoke", "artichoke, globe artichoke" },  /* 944 */
  { "bell pepper", "bell pepper" },  /* 945 */
  { "cardoon", "cardoon" },  /* 946 */
  { "mushroom", "mushroom" },  /* 947 */
  { "Granny Smith", "Granny Smith" },  /* 948 */
  { "strawberry", "strawberry" },  /* 949 */
  { "orange", "orange" },  /* 950 */
  { "lemon", "lemon" },  /* 951 */
  { "fig", "fig" },  /* 952 */
  { "pineapple", "pineapple, ananas" },  /* 953 */
  { "banana", "banana" },  /* 954 */
  { "jackfruit", "jackfruit, jak, jack" },  /* 955 */
  { "custard apple", "custard apple" },  /* 956 */
  { "pomegranate", "pomegranate" },  /* 957 */
  { "hay", "hay" },  /* 958 */
  { "carbonara", "carbonara" },  /* 959 */
  { "chocolate sauce", "chocolate sauce, chocolate syrup" },  /* 960 */
  { "dough", "dough" },  /* 961 */
  { "meat loaf", "meat loaf, meatloaf" },  /* 962 */
  { "pizza", "pizza, pizza pie" },  /* 963 */
  { "potpie", "potpie" },  /* 964 */
  { "burrito", "burrito" },  /* 965 */
  { "red wine", "red wine" },  /* 966 */
  { "espresso", "espresso" },  /* 967 */
  { "cup", "cup" },  /* 968 */
  { "eggnog", "eggnog" },  /* 969 */
  { "alp", "alp" },  /* 970 */
  { "bubble", "bubble" },  /* 971 */
  { "cliff", "cliff, drop, drop-off" },  /* 972 */
  { "coral reef", "coral reef" },  /* 973 */
  { "geyser", "geyser" },  /* 974 */
  { "lakeside", "lakeside, lakeshore" },  /* 975 */
  { "promontory", "promontory, headland, head, foreland" },  /* 976 */
  { "sandbar", "sandbar, sand bar" },  /* 977 */
  { "seashore", "seashore, coast, seacoast, sea-coast" },  /* 978 */
  { "valley", "valley, vale" },  /* 979 */
  { "volcano", "volcano" },  /* 980 */
  { "ballplayer", "ballplayer, baseball player" },  /* 981 */
  { "groom", "groom, bridegroom" },  /* 982 */
  { "scuba diver", "scuba diver" },  /* 983 */
  { "rapeseed", "rapeseed" },  /* 984 */
  { "daisy", "daisy" },  /* 985 */
  { "yellow lady's slipper",  /* 986 */
    "yellow lady's slipper, yellow lady-slipper, Cypripedium calceolus, Cypripedium parviflorum" },
  { "corn", "corn" },  /* 987 */
  { "acorn", "acorn" },  /* 988 */
  { "hip", "hip, rose hip, rosehip" },  /* 989 */
  { "buckeye", "buckeye, horse chestnut, conker" },  /* 990 */
  { "coral fungus", "coral fungus" },  /* 991 */
  { "agaric", "agaric" },  /* 992 */
  { "gyromitra", "gyromitra" },  /* 993 */
  { "stinkhorn", "stinkhorn, carrion fungus" },  /* 994 */
  { "earthstar", "earthstar" },  /* 995 */
  { "hen-of-the-woods", "hen-of-the-woods, hen of the woods, Polyporus frondosus, Grifola frondosa" },  /* 996 */
  { "bolete", "bolete" },  /* 997 */
  { "ear", "ear, spike, capitulum" },  /* 998 */
  { "toilet tissue", "toilet tissue, toilet paper, bathroom tissue" },  /* 999 */
};

int var_imagenet_n_classes(void) { return N_CLASSES; }

const char *var_imagenet_class_name(int index)
{
  return index >= 0 && index < N_CLASSES ? class_names[index][0] : NULL;
}

const char *var_imagenet_class_synonyms(int index)
{
  return index >= 0 && index < N_CLASSES ? class_names[index][1] : NULL;
}

static const char *imagenet_text(const void *user, int index)
{
  (void)user;
  return class_names[index][1];
}

int var_imagenet_class_find(const char *name) { return var_class_find_in(name, N_CLASSES, imagenet_text, NULL); }
